"""The check pipeline: `run_check(paths, ref, CheckOptions(...)) -> Report`.

Stages, one file each, data flowing one way (see docs/architecture.md):
options -> intake (read, screen, keep, count) -> lines (derived columns) -> run (rules) ->
findings (one columnar table) -> the Report that reporters write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cgt_claimcheck.engine.options import CheckOptions

if TYPE_CHECKING:
    from cgt_claimcheck.engine.run import run_check

__all__ = ["CheckOptions", "run_check"]


def __getattr__(name: str) -> Any:
    """`run_check` is imported when first asked for: numpy, pyarrow and the rules load then, not
    when a caller needs only CheckOptions (the command line resolving its settings, before it
    starts the read workers' fork server: workers.start_early)."""
    if name == "run_check":
        from cgt_claimcheck.engine.run import run_check

        return run_check
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
