"""SIGTERM and SIGHUP stop a run the way Ctrl-C does.

CI runners stop a job with SIGTERM (and a closed terminal sends SIGHUP). Python's default for both
is to die on the spot, which leaves a half-written temporary file beside the output. Raised as a
KeyboardInterrupt instead, they unwind through the writers' clean-up like SIGINT does.
"""

from __future__ import annotations

import signal
from types import FrameType


class Stopped(KeyboardInterrupt):
    """A stop signal other than SIGINT, as an interrupt that knows its signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


received: int | None = None  # the stop signal this process got, if any


def _stop(signum: int, frame: FrameType | None) -> None:
    global received
    received = signum
    raise Stopped(signum)


def stop_like_ctrl_c() -> None:
    """Route SIGTERM and SIGHUP through KeyboardInterrupt (main thread, at start-up)."""
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, _stop)


def status_after_abort(code: str | int | None) -> str | int | None:
    """Click and Typer answer an interrupt outside our handlers (during start-up imports, say) with
    exit 1 or 130 and no word: after a stop signal, say so and exit 128 + its number."""
    if received is None or code not in (1, 130):
        return code
    import sys

    name = signal.Signals(received).name
    print(f"cgt-claimcheck: interrupted ({name}) before anything was written", file=sys.stderr)
    return 128 + received


def interrupted_status(interrupt: KeyboardInterrupt) -> int:
    """128 + the signal's number, as shells report a process a signal stopped (130 for Ctrl-C)."""
    return 128 + int(getattr(interrupt, "signum", signal.SIGINT))


def signal_name(interrupt: KeyboardInterrupt) -> str:
    return signal.Signals(getattr(interrupt, "signum", signal.SIGINT)).name
