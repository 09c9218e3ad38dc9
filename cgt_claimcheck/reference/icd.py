"""ICD-10-CM code patterns of the indications table.

A pattern list is ';'-separated: "C83.3-" or "D57.1" = the code and its children,
"C83.30-C83.39" = every code from the first to the last (children of the last included).
Codes compare without dots.
"""

from __future__ import annotations

from functools import lru_cache

Pattern = tuple[str, str, str]  # (kind, low, high): ("prefix", "C833", "") or ("range", lo, hi)


@lru_cache(maxsize=256)
def parse_icd_patterns(text: str) -> tuple[Pattern, ...]:
    patterns: list[Pattern] = []
    for token in (t.strip().upper().replace(".", "") for t in text.split(";")):
        if not token:
            continue
        if token.endswith("-"):
            patterns.append(("prefix", token[:-1], ""))
        elif "-" in token:
            low, high = token.split("-", 1)
            patterns.append(("range", low, high))
        else:
            patterns.append(("prefix", token, ""))
    return tuple(patterns)


def pattern_matches(pattern: Pattern, code: str) -> bool:
    kind, low, high = pattern
    if kind == "prefix":
        return code.startswith(low)
    return low <= code and (code <= high or code.startswith(high))


def icd_matches(code: str, include: str, exclude: str = "") -> bool:
    """Does the (dot-less) code fall in the include patterns and outside the exclude ones?"""
    return any(pattern_matches(p, code) for p in parse_icd_patterns(include)) and not any(
        pattern_matches(p, code) for p in parse_icd_patterns(exclude)
    )
