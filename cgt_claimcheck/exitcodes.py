"""Process exit codes: stable, because CI pipelines branch on them."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on (or: lookup found nothing)
    ERROR = 2  # unusable input, broken reference data, or a usage error
    # Stopped by a signal: 128 + its number, as shells report it (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP);
    # no output was written and a previous one is unchanged.
    INTERRUPTED = 130
