"""Reporters render a finished Report. They never decide anything: no filtering, no exit codes.

Each reporter is imported when its format is chosen: a `--format json` run never loads rich,
the HTML template or the XML writer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import TextIO

from cgt_claimcheck.report import Report

Renderer = Callable[[Report, TextIO], None]

SOURCES: dict[str, tuple[str, str]] = {  # format -> (module of cgt_claimcheck.reporters, function)
    "rich": ("rich_report", "render"),
    "json": ("json_report", "render"),
    "jsonl": ("json_report", "render_lines"),
    "csv": ("csv_report", "render"),
    "junit": ("junit_report", "render"),
    "concise": ("line_reports", "render_concise"),
    "github": ("line_reports", "render_github"),
    "gitlab": ("ci_reports", "render_gitlab"),
    "sarif": ("ci_reports", "render_sarif"),
    "html": ("html_report", "render"),
    "statistics": ("line_reports", "render_statistics"),  # --statistics
}


class Reporters(MutableMapping[str, Renderer]):
    """format -> renderer, each module imported on first use."""

    def __init__(self, sources: dict[str, tuple[str, str]]) -> None:
        self._names = list(sources)
        self._sources = dict(sources)
        self._loaded: dict[str, Renderer] = {}

    def __getitem__(self, name: str) -> Renderer:
        if name not in self._loaded:
            module, function = self._sources[name]  # KeyError: an unknown format
            self._loaded[name] = getattr(importlib.import_module(f"{__name__}.{module}"), function)
        return self._loaded[name]

    def __setitem__(self, name: str, render: Renderer) -> None:  # tests put a renderer in
        if name not in self._names:
            self._names.append(name)
        self._loaded[name] = render

    def __delitem__(self, name: str) -> None:
        self._loaded.pop(name, None)
        if name not in self._sources:
            self._names.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


REPORTERS = Reporters(SOURCES)
