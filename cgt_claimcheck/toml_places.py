"""Where a key is written in a TOML text, so that a config error can name its line and column.

tomllib parses without positions; a line scan of table headers and `key = value` lines (dotted
and quoted keys included) finds where each setting is written.
"""

from __future__ import annotations

import re


def key_places(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """Where each key of a TOML text is written: dotted path -> (line, column), both 1-based.

    A line scan (tomllib gives no positions): table headers, `key = value`, dotted and quoted
    keys. Enough to point at a setting; a key it cannot place is named without a place.
    """
    places: dict[tuple[str, ...], tuple[int, int]] = {}
    table: tuple[str, ...] = ()
    key_part = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
    dotted = rf"{key_part}(?:\s*\.\s*{key_part})*"
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(rf"\s*\[\[?\s*({dotted})\s*\]\]?", line)
        if header:
            table = _key_path(header.group(1))
            places.setdefault(table, (number, line.index("[") + 1))
            continue
        assignment = re.match(rf"(\s*)({dotted})\s*=", line)
        if assignment:
            places.setdefault(table + _key_path(assignment.group(2)), (number, len(assignment.group(1)) + 1))
    return places


def _key_path(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted))


def place_of(places: dict[tuple[str, ...], tuple[int, int]], loc: tuple[str, ...]) -> str:
    """'line 3, column 1: ' for the deepest part of `loc` the text places ('' when none)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in places:
            line, column = places[loc[:end]]
            return f"line {line}, column {column}: "
    return ""
