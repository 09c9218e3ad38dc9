"""Settings from `cgt-claimcheck.toml` (or `[tool.cgt-claimcheck]` in pyproject.toml).

Precedence: built-in defaults < config file < command-line flags. Unknown keys are an error
(exit 2), so a typo never silently turns a check off.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cgt_claimcheck.errors import ConfigError
from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.severity import Severity

CONFIG_NAME = "cgt-claimcheck.toml"
FailOn = Literal["error", "warning", "info", "never"]
Format = Literal["rich", "json", "jsonl", "csv", "junit"]


class FileSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    payer: str | None = None
    columns: dict[str, str] = Field(default_factory=dict, description="canonical column -> header in the extract")
    payers: dict[str, str] = Field(default_factory=dict, description="payer value in the extract -> profile")
    select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, Severity] = Field(default_factory=dict)
    fail_on: FailOn | None = Field(default=None, alias="fail-on")
    format: Format | None = None
    repeat_window_days: int | None = Field(default=None, ge=1, alias="repeat-window-days")
    facilities: str | None = None
    history: list[str] = Field(default_factory=list)
    redact: bool | None = None
    delimiter: str | None = None
    encoding: str | None = None

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in value if k not in COLUMNS]
        if unknown:
            raise ValueError(f"unknown column {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
        return value


def find_config(start: Path) -> Path | None:
    """cgt-claimcheck.toml, or a pyproject.toml with [tool.cgt-claimcheck], from `start` upward."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                continue
            if "cgt-claimcheck" in data.get("tool", {}):
                return pyproject
    return None


def load_settings(path: Path | None) -> tuple[FileSettings, Path | None]:
    if path is None:
        return FileSettings(), None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config cannot be read ({exc.strerror})", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("config is not UTF-8 text", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config is not valid TOML: {exc}", file=str(path)) from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("cgt-claimcheck", {})
    try:
        return FileSettings.model_validate(data), path
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"])
            text = "unknown key" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
            problems.append(f"{key}: {text}")
        raise ConfigError("; ".join(problems), file=str(path)) from None
