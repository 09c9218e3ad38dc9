"""The check pipeline: `run_check(paths, ref, CheckOptions(...)) -> Report`.

Stages, one file each, data flowing one way (see docs/architecture.md):
options -> intake (read, screen, keep, count) -> lines (derived columns) -> run (rules) ->
findings (one columnar table) -> the Report that reporters write.
"""

from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.engine.run import run_check

__all__ = ["CheckOptions", "run_check"]
