"""Silence one known, harmless error pyarrow reports as "Exception ignored".

A ragged CSV row that is also not UTF-8 cannot be decoded for the reader's invalid-row callback:
pyarrow skips the callback and prints a traceback through `sys.unraisablehook`. The reader then
rejects the line itself (ingest/records.py finds it; IN001 says why). A user should see IN001,
never the traceback. This hook swallows exactly that case, and hands every other unraisable
exception to the hook that was there before.
"""

from __future__ import annotations

import sys
from typing import Any

_previous = sys.unraisablehook


def _hook(unraisable: Any) -> None:
    callback = getattr(unraisable.object, "__qualname__", "")
    if isinstance(unraisable.exc_value, UnicodeDecodeError) and callback.endswith("_parse.<locals>.on_invalid"):
        return
    _previous(unraisable)


def quiet_undecodable_rows() -> None:
    """Install the hook once per process (idempotent)."""
    if sys.unraisablehook is not _hook:
        global _previous
        _previous = sys.unraisablehook
        sys.unraisablehook = _hook
