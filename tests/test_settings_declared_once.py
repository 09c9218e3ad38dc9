"""Every setting of `check` is declared once (check_settings.SETTINGS): the flag, the config key,
--show-settings and the README follow the table, and the formats are named once."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from pathlib import Path

import typer

from cgt_claimcheck import config
from cgt_claimcheck.check_settings import FORMATS, SETTINGS
from cgt_claimcheck.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _check_options() -> dict[str, object]:
    command = typer.main.get_command(app)
    check = command.commands["check"]  # type: ignore[attr-defined]
    return {opt: param for param in check.params for opt in getattr(param, "opts", [])}


def test_each_setting_is_a_flag_built_from_its_declaration():
    options = _check_options()
    for setting in SETTINGS:
        param = options[setting.flag]
        assert param.help == setting.help, setting.key
        if setting.short:
            assert setting.short in param.opts
        if setting.minimum is not None:
            assert param.type.min == setting.minimum, setting.key


def test_each_setting_is_a_config_key_with_the_declared_bounds():
    fields = {f.name: f for f in dataclasses.fields(config.FileSettings)}
    flags = {f.name for f in dataclasses.fields(config.CheckFlags)}
    for setting in SETTINGS:
        declared = fields[setting.field]
        assert declared.metadata.get("alias", declared.name) == setting.key
        assert declared.metadata.get("ge") == setting.minimum
        assert setting.field in flags


def test_show_settings_lists_the_table_in_its_order(tmp_path, ref):
    resolved = config.resolve_check(config.CheckFlags(), config.FileSettings(), None, ref)
    listed = [name for name in resolved.sources if name not in ("columns", "payers", "severity")]
    assert listed == [s.key for s in SETTINGS]


def test_the_readme_shows_every_setting_in_its_config_example():
    block = re.search(r"### Configuration.*?```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    top_level = tomllib.loads(block)
    assert {s.key for s in SETTINGS} <= set(top_level), "the README's config example lacks a setting"
    assert not set(top_level["columns"]) - set(config.COLUMNS)  # (a key below [columns] is a column)


def test_the_formats_are_named_once():
    from cgt_claimcheck.reporters import SOURCES

    assert tuple(typing.get_args(config.Format)) == FORMATS
    assert [name for name in SOURCES if name != "statistics"] == list(FORMATS)
    assert all(name in next(s for s in SETTINGS if s.key == "format").help for name in FORMATS)


def test_the_payer_profiles_are_named_once(ref):
    """The rules name the profiles (rules/base.py); the shipped payers.toml defines the same ones,
    and --payer's help lists them from the rules' declaration."""
    from cgt_claimcheck.rules.base import ALL_PAYERS, PROGRAM_OF_PAYER

    assert set(ref.payers) == set(ALL_PAYERS)
    assert {pid: p.program for pid, p in ref.payers.items()} == PROGRAM_OF_PAYER
    assert ", ".join(ALL_PAYERS) in next(s for s in SETTINGS if s.key == "payer").help
