"""Process exit codes: stable, because CI pipelines branch on them."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on (or: lookup found nothing)
    ERROR = 2  # unusable input, broken reference data, or a usage error
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); no report was written
