"""The command line: wires the pieces together and maps outcomes to exit codes. No checking here.

One module per command (`check`, `convert`, `lookup`, `rules`, `reference`), each registering on
the apps of `cli.app` and importing no other command; `options` declares the flags `check` and
`convert` share. Heavy modules (the engine) are imported inside `check` only, so `lookup`,
`rules`, `reference` and `--help` start fast; a `check` process keeps pandas out (pandas_free.py).
"""

from __future__ import annotations

import sys
from importlib import import_module

from cgt_claimcheck.cli.app import app
from cgt_claimcheck.env_vars import ENV_DEBUG
from cgt_claimcheck.exitcodes import ExitStatus
from cgt_claimcheck.printable import excerpt

COMMANDS = ("lookup", "rules", "check", "convert", "reference")  # registered in the order --help lists them
for _command in COMMANDS:
    import_module(f"cgt_claimcheck.cli.{_command}")

__all__ = ["app", "main"]


def main() -> None:
    import os

    from cgt_claimcheck import stop_signals

    stop_signals.stop_like_ctrl_c()
    command = next((arg for arg in sys.argv[1:] if arg in COMMANDS), None)
    if command in ("check", "convert"):
        from cgt_claimcheck.arrow_pool import give_freed_pages_back

        give_freed_pages_back()  # before anything imports pyarrow, or jemalloc ignores it
    if command == "check":
        from cgt_claimcheck.pandas_free import keep_pandas_out

        keep_pandas_out()  # a check process never holds a frame: pyarrow need not load pandas to ask
    try:
        app()
    except SystemExit as done:
        if _stdout_reader_closed():  # `rules | head`: the reader took what it wanted, like `git log | head`
            sys.exit(0)
        sys.exit(stop_signals.status_after_abort(done.code))
    except Exception as exc:  # never a traceback for a user; CGT_CLAIMCHECK_DEBUG=1 shows it
        if os.environ.get(ENV_DEBUG):
            raise
        print(
            f"cgt-claimcheck: internal error, please report it: {exc.__class__.__name__}: {excerpt(exc, 300)}",
            file=sys.stderr,
        )
        sys.exit(ExitStatus.ERROR)


def _stdout_reader_closed() -> bool:
    """Did printing to standard output end in a closed pipe? (The command line library then wraps
    stdout so that later flushes are quiet, and exits 1; `check` and `convert` catch it themselves.)"""
    return type(sys.stdout).__name__ == "PacifyFlushWrapper"  # (by name: the class is the library's own)
