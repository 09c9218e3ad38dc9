"""Text from inputs, shown to a person: one place makes any value safe to print.

A value in an extract, a file name or a query can hold ANSI escapes (set the terminal title,
clear the screen), bidirectional overrides (show text in another order than it is), line breaks
(forge report lines) or rich markup. Everything the tool prints that it did not write itself goes
through `printable` (plain text), `shown` (a rich Text: never parsed as markup) or `markup_safe`
(a string for a markup-rendering place, such as a progress description).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 and C1 control characters (tab too: it moves the cursor), DEL, and the Unicode format
# characters that reorder or hide text.
_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_UNSAFE_WITH_NEWLINE = re.compile(_UNSAFE.pattern[:-1] + r"\n]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object, *, newlines: bool = False) -> str:
    """`value` as text with every control or reordering character written as \\xNN / \\uNNNN.

    A line break is escaped too unless `newlines` (text the tool wrote, such as rule docs).
    """
    text = "" if value is None else str(value)
    return (_UNSAFE if newlines else _UNSAFE_WITH_NEWLINE).sub(_escaped, text)


def excerpt(value: object, limit: int = 60) -> str:
    """A short printable excerpt of a value for a message (a config value can be 10 MB)."""
    text = printable(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def elided(value: object, limit: int) -> str:
    """A printable value of at most `limit` characters: its start and its end, the middle elided
    (an NDC's package, a file's extension, a claim number's last digits stay visible)."""
    text = printable(value)
    if len(text) <= limit:
        return text
    head = (limit - 3 + 1) // 2
    return f"{text[:head]}...{text[len(text) - (limit - 3 - head) :]}"


def shown(value: object, *, newlines: bool = False, style: str = "") -> Text:
    """A rich Text of the value: printed as data, never as markup."""
    from rich.text import Text

    return Text(printable(value, newlines=newlines), style=style)


def markup_safe(value: object) -> str:
    """The value for a place that renders rich markup: control characters escaped, brackets too."""
    from rich.markup import escape

    return escape(printable(value))
