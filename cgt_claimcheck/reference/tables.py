"""Validation models of the reference tables, derived from the one schema in `rows.py`.

Every dataclass of rows.py gets a pydantic model of the same name and fields: blank cells of
optional fields read as None, text is stripped, unknown fields are refused, nested rows (the
payers.toml sections) validate as their own models, and a field's `metadata["check"]` runs after
its type is validated. Nothing here restates a column or a type.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from cgt_claimcheck.reference import rows as R


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class Row(BaseModel):
    # defer_build: schemas are built on first validation, not at import. `lookup` usually
    # reads rows from the validation cache and never pays for schema generation.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True)


_MODELS: dict[type, type[BaseModel]] = {}


def _translate(tp: Any) -> Any:
    """A rows.py annotation with every nested row dataclass replaced by its model."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return model_for(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (list, dict):
        return origin[tuple(_translate(a) for a in args)] if origin is dict else list[_translate(args[0])]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return Union[tuple(_translate(a) for a in args)]  # noqa: UP007 (built from a tuple)
    return tp


def _optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType) and type(None) in typing.get_args(tp)


def model_for(cls: type) -> type[BaseModel]:
    """The pydantic model that validates rows of a rows.py dataclass."""
    if cls in _MODELS:
        return _MODELS[cls]
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        tp = _translate(hints[f.name])
        if _optional(tp):
            tp = Annotated[tp, BeforeValidator(_blank_to_none)]
        if "check" in f.metadata:
            tp = Annotated[tp, AfterValidator(f.metadata["check"])]
        if f.default is not dataclasses.MISSING:
            fields[f.name] = (tp, f.default)
        elif f.default_factory is not dataclasses.MISSING:
            fields[f.name] = (tp, Field(default_factory=f.default_factory))
        else:
            fields[f.name] = (tp, ...)
    model = create_model(cls.__name__, __base__=Row, __module__=__name__, **fields)
    _MODELS[cls] = model
    return model


Product = model_for(R.Product)
HcpcsCode = model_for(R.HcpcsCode)
NdcPackage = model_for(R.NdcPackage)
PcsCode = model_for(R.PcsCode)
Indication = model_for(R.Indication)
CodesetEntry = model_for(R.CodesetEntry)
PayersFile = model_for(R.PayersFile)
Manifest = model_for(R.Manifest)
