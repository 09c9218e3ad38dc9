"""The options of `cgt-claimcheck check` as annotated types (cli/check.py stays readable).

The settings a config file also holds are declared once, in `check_settings.SETTINGS`: `option`
builds their flag, help, metavar, bounds and completion from it. The options of the command line
alone (output, config, quiet, baselines...) are declared here. The command only wires them to
CheckFlags.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from cgt_claimcheck.check_settings import SETTINGS


def _completing(name: str):  # type: ignore[no-untyped-def]
    """Shell completion (--install-completion) of an option's values, config.<name>, as typed so far.

    config is imported only when the shell asks: it costs 80 ms at every start-up otherwise.
    """

    def complete(incomplete: str) -> list[str]:
        from cgt_claimcheck import config

        return [v for v in getattr(config, name) if v.startswith(incomplete)]

    return complete


def _payer_profiles(incomplete: str) -> list[str]:
    from cgt_claimcheck.errors import UsageError
    from cgt_claimcheck.reference import load_reference

    try:
        profiles = load_reference().payers
    except UsageError:  # a broken reference directory: no completion, never a traceback in the shell
        return []
    return [name for name in profiles if name.startswith(incomplete)]


def _rule_codes(incomplete: str) -> list[str]:
    from cgt_claimcheck.rules import CATALOGUE  # only when the shell asks

    prefixes = sorted({code[:2] for code in CATALOGUE})
    return [c for c in [*prefixes, *sorted(CATALOGUE)] if c.startswith(incomplete.upper())]


COMPLETERS = {
    "formats": _completing("FORMATS"),
    "fail_on": _completing("FAIL_ON"),
    "delimiters": _completing("DELIMITER_NAMES"),
    "payers": _payer_profiles,
    "rule_codes": _rule_codes,
}


def option(key: str) -> Any:
    """The typer.Option of a setting of `check`, from its one declaration (check_settings.SETTINGS)."""
    setting = next(s for s in SETTINGS if s.key == key)
    names = [f"{setting.flag}/--no-{setting.key}" if setting.negatable else setting.flag]
    names += [setting.short] if setting.short else []
    extra: dict[str, Any] = {}
    if setting.metavar:
        extra["metavar"] = setting.metavar
    if setting.minimum is not None:
        extra["min"] = setting.minimum
    if setting.completion:
        extra["autocompletion"] = COMPLETERS[setting.completion]
    return typer.Option(*names, help=setting.help, **extra)


KINDS: dict[str, Any] = {"text": str | None, "texts": list[str] | None, "count": int | None, "switch": bool | None}


def with_settings(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command one keyword parameter per setting of check_settings.SETTINGS, after its
    first parameter (the files), each an option built by `option`; the command receives them in
    its `**given`. Typer reads the signature and the annotations set here."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    settings = [
        inspect.Parameter(
            s.field,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[KINDS[s.kind], option(s.key)],
        )
        for s in SETTINGS
    ]
    parameters = [own[0], *settings, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own[1:])]
    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return command


# The options two commands share (convert reads extracts as check does).
Payer = Annotated[str | None, option("payer")]
Delimiter = Annotated[str | None, option("delimiter")]

# Options of the command line only (not settings a config file holds).
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to this file (atomically; - is stdout), never onto an input.",
    ),
]


Config = Annotated[
    Path | None,
    typer.Option(
        "--config", metavar="FILE", help="Config file (default: cgt-claimcheck.toml or pyproject.toml found upward)."
    ),
]


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]

BatchRows = Annotated[int, typer.Option("--batch-rows", min=1, hidden=True, help="Rows per batch (memory vs speed).")]


Statistics = Annotated[
    bool, typer.Option("--statistics", help="Print only how many findings each rule has (instead of the report).")
]


Baseline = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="FILE",
        help="Suppress the findings this baseline file records; report how many, and stale entries.",
    ),
]

WriteBaseline = Annotated[
    Path | None,
    typer.Option(
        "--write-baseline",
        metavar="FILE",
        help="Record this run's findings in a baseline file (JSON, a reason per entry).",
    ),
]


ShowSettings = Annotated[
    bool, typer.Option("--show-settings", help="Print the effective settings and where each came from, then exit.")
]
