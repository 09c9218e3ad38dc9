"""Validate a config file's settings against their declaration (`config.FileSettings`), with pydantic.

Imported only when a config file is read: the model is derived from the dataclass once (types,
defaults, each field's `alias` and bounds), unknown keys are refused, and the checks a field's
metadata names run on its value. Problems come back as `config.ConfigProblems`, which the
settings loader turns into one message naming each key's line and column.
"""

from __future__ import annotations

import typing
from dataclasses import MISSING, fields
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from cgt_claimcheck import config


@cache
def _model() -> type[BaseModel]:
    hints = typing.get_type_hints(config.FileSettings)
    definitions: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    for f in fields(config.FileSettings):
        meta = f.metadata
        default = {"default": f.default} if f.default is not MISSING else {"default_factory": f.default_factory}
        bounds = {"ge": meta["ge"]} if "ge" in meta else {}
        definitions[f.name] = (hints[f.name], Field(alias=meta.get("alias"), **default, **bounds))
        if meta.get("any_case"):
            validators[f"_{f.name}_any_case"] = field_validator(f.name, mode="before")(_any_case)
        if "check" in meta:
            check = getattr(config, meta["check"])
            validators[f"_{f.name}_check"] = field_validator(f.name)(lambda cls, value, check=check: check(value))
    return create_model(  # type: ignore[call-overload,no-any-return]
        "FileSettings",
        __config__=ConfigDict(extra="forbid", populate_by_name=True),
        __validators__=validators,
        **definitions,
    )


def _any_case(cls: Any, value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def validated(data: dict[str, Any]) -> config.FileSettings:
    """The settings of a config file's table, as `config.FileSettings` (raises ConfigProblems)."""
    try:
        model = _model().model_validate(data)
    except ValidationError as exc:
        raise config.ConfigProblems(
            [
                (
                    tuple(error["loc"]),
                    error["type"],
                    error["msg"],
                    error.get("input"),
                    str((error.get("ctx") or {}).get("expected", "")),
                )
                for error in exc.errors()
            ]
        ) from None
    return config.FileSettings(**{f.name: getattr(model, f.name) for f in fields(config.FileSettings)})
