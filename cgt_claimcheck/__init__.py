"""cgt_claimcheck: catch problems in Medicaid cell and gene therapy claims before submission.

The Python API (docs/python-api.md): `check(source, ...)` returns a `Report`; bad input or
settings raise `UsageError`. They are imported on first use, so `import cgt_claimcheck` (and the
command line's quick commands) stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Report", "UsageError", "__version__", "check"]

if TYPE_CHECKING:
    from cgt_claimcheck.api import check
    from cgt_claimcheck.errors import UsageError
    from cgt_claimcheck.report import Report


def __getattr__(name: str) -> Any:
    if name == "check":
        from cgt_claimcheck.api import check

        return check
    if name == "Report":
        from cgt_claimcheck.report import Report

        return Report
    if name == "UsageError":
        from cgt_claimcheck.errors import UsageError

        return UsageError
    raise AttributeError(f"module 'cgt_claimcheck' has no attribute {name!r}")
