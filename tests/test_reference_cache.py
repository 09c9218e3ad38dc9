"""The validation cache cannot be poisoned: JSON only, keyed by the tables, signed with a private key."""

from __future__ import annotations

import ast
import os
import pickle
from pathlib import Path

import pytest

from cgt_claimcheck.reference import load_reference
from cgt_claimcheck.reference.rows import as_json

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A cache folder and config folder of this test alone; returns the cache folder."""
    monkeypatch.setenv("CGT_CLAIMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "cache"


def _cached_file(folder: Path) -> Path:
    (path,) = folder.glob("reference-*.json")
    return path


def _zolgensma_ndc(ref) -> str:
    return next(ndc for ndc, row in ref.ndc.items() if row.product_id == "zolgensma")


def test_a_cache_hit_equals_a_fresh_validation(private_cache, reference_copy):
    fresh = load_reference(reference_copy)
    cached_file = _cached_file(private_cache)
    assert cached_file.read_bytes()[:64].isalnum()  # a signature line, then JSON
    again = load_reference(reference_copy)
    for table in ("hcpcs", "pcs", "products", "ndc", "codeset_entries", "programs", "payers"):
        assert as_json(getattr(again, table)) == as_json(getattr(fresh, table)), table
    assert as_json(again.manifest) == as_json(fresh.manifest)


def test_an_edited_cache_is_ignored_and_rebuilt(private_cache, reference_copy):
    ndc = _zolgensma_ndc(load_reference(reference_copy))
    cached_file = _cached_file(private_cache)
    # Someone with write access to the cache folder moves a Zolgensma NDC to another product.
    poisoned = cached_file.read_bytes().replace(b'"product_id":"zolgensma"', b'"product_id":"luxturna"')
    assert poisoned != cached_file.read_bytes()
    cached_file.write_bytes(poisoned)
    assert load_reference(reference_copy).ndc[ndc].product_id == "zolgensma"
    assert b'"product_id":"zolgensma"' in cached_file.read_bytes()  # rebuilt


def test_a_planted_pickle_is_never_unpickled(private_cache, reference_copy, tmp_path):
    load_reference(reference_copy)
    cached_file = _cached_file(private_cache)
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    cached_file.write_bytes(pickle.dumps(Exploit()))
    cached_file.with_suffix(".pickle").write_bytes(pickle.dumps(Exploit()))  # where 0.x kept it
    assert load_reference(reference_copy).ndc
    assert not marker.exists()


def test_a_cache_signed_with_another_users_key_is_ignored(private_cache, reference_copy, tmp_path, monkeypatch):
    ndc = _zolgensma_ndc(load_reference(reference_copy))
    # The attacker builds a poisoned cache with their own key and copies it in (a shared CI cache).
    attacker = tmp_path / "attacker"
    monkeypatch.setenv("CGT_CLAIMCHECK_CACHE_DIR", str(attacker / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(attacker / "config"))
    load_reference(reference_copy)
    theirs = _cached_file(attacker / "cache")
    from cgt_claimcheck.reference import cache

    signature, _, payload = theirs.read_bytes().partition(b"\n")
    payload = payload.replace(b'"product_id":"zolgensma"', b'"product_id":"luxturna"')
    key = (attacker / "config" / "cgt-claimcheck" / "cache-key").read_bytes()
    signature = (
        cache.hmac.new(key, _full_key(reference_copy).encode() + b"\n" + payload, cache.hashlib.sha256)
        .hexdigest()
        .encode()
    )
    monkeypatch.setenv("CGT_CLAIMCHECK_CACHE_DIR", str(private_cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    _cached_file(private_cache).write_bytes(signature + b"\n" + payload)
    assert load_reference(reference_copy).ndc[ndc].product_id == "zolgensma"


def _full_key(directory: Path) -> str:
    import hashlib
    import json

    from cgt_claimcheck.reference.cache import cache_key

    manifest = (directory / "manifest.json").read_bytes()
    files = {name: entry["file"] for name, entry in json.loads(manifest)["tables"].items()}
    digests = [hashlib.sha256((directory / files[name]).read_bytes()).hexdigest() for name in sorted(files)]
    return cache_key(manifest, digests)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_key_others_could_write_turns_the_cache_off(private_cache, reference_copy, tmp_path):
    load_reference(reference_copy)
    key_file = tmp_path / "config" / "cgt-claimcheck" / "cache-key"
    key_file.chmod(0o666)
    for cached in private_cache.glob("*.json"):
        cached.unlink()
    assert load_reference(reference_copy).ndc
    assert not list(private_cache.glob("*.json"))  # nothing written with a key that is not private


def test_the_cache_follows_the_tables(private_cache, reference_copy):
    """An edited table set gets its own cache entry: the old one is never used for it."""
    from tests.test_reference import refresh_manifest

    load_reference(reference_copy)
    with open(reference_copy / "ndc.csv", "a", encoding="utf-8") as fh:
        fh.write("71894015099,zolgensma,test kit,Novartis,package,71894-150-99,test,high\n")
    refresh_manifest(reference_copy)
    assert load_reference(reference_copy).ndc["71894015099"].product_id == "zolgensma"
    assert len(list(private_cache.glob("reference-*.json"))) == 2


def test_the_package_never_unpickles():
    for path in (REPO / "cgt_claimcheck").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not ({"pickle", "marshal", "shelve"} & (imported | modules)), path
