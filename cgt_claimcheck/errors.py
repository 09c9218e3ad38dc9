"""Errors that end a run with exit code 2 and one clear message (never a traceback)."""

from __future__ import annotations


class UsageError(Exception):
    """Unusable input or usage: the CLI prints the message and exits 2.

    The message names the file, and where known the line and column, so a clerk can fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        where = ", ".join(
            part
            for part in (
                file,
                f"line {line}" if line is not None else None,
                f"column {column!r}" if column else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class ReferenceDataError(UsageError):
    """A reference table is missing, malformed or fails its checksum."""


class ConfigError(UsageError):
    """The config file has an unknown key or a bad value."""


class EmptyInput(UsageError):
    """An input with no header and no rows: a warning finding (IN005) when other inputs can be read."""
