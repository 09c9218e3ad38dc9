"""The rule catalogue: every rule, listed explicitly, keyed by its stable code."""

from __future__ import annotations

from cgt_claimcheck.rules.base import Rule

CATALOGUE: dict[str, Rule] = {}


def select_rules(select: list[str] | None, ignore: list[str] | None) -> tuple[list[Rule], list[Rule]]:
    """Split the catalogue into (selected, deselected) by code or prefix; longest match wins.

    `--select CT --ignore CT002` keeps CT001; `--ignore CT --select CT002` keeps only CT002 of the
    CT family. With no --select every rule starts selected.
    """
    selected, deselected = [], []
    for code, r in CATALOGUE.items():
        best_select = max((len(p) for p in select or [] if code.startswith(p.upper())), default=-1)
        best_ignore = max((len(p) for p in ignore or [] if code.startswith(p.upper())), default=-1)
        if not select:
            best_select = max(best_select, 0)
        (selected if best_select > best_ignore else deselected).append(r)
    return selected, deselected


def unknown_selectors(patterns: list[str]) -> list[str]:
    return [p for p in patterns if not any(code.startswith(p.upper()) for code in CATALOGUE)]
