"""The validation cache: validated reference rows stored as JSON, signed, keyed by the tables' bytes.

Validating a table set with pydantic costs more than `lookup` can spend at start-up, so the
validated rows are kept on disk. The cache folder may be shared (a CI cache) or writable by
others, so nothing read from it is trusted:
- it is JSON, rebuilt into the row dataclasses of `rows.py` only (no pickle, nothing executes);
- its name and its recorded key are the checksum of the manifest and of every table file, so a
  cache made from other tables is never used for these;
- its bytes carry an HMAC made with a per-user secret kept outside the cache folder (in the
  user's config folder, readable by the user alone), so a file planted by anyone else does not
  verify. A cache that does not verify is ignored and rebuilt; a missing key turns the cache off.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import stat
from datetime import date
from pathlib import Path
from typing import Any

from cgt_claimcheck.env_vars import ENV_CACHE_DIR
from cgt_claimcheck.reference import rows as R

# Bump when the cached rows change shape, so an old cache is never read as a new one.
CACHE_FORMAT = "rows-json-1"
_ROW_CLASSES = {name: cls for name, cls in vars(R).items() if isinstance(cls, type) and dataclasses.is_dataclass(cls)}
_KEY_BYTES = 32


def cache_key(manifest_bytes: bytes, table_digests: list[str]) -> str:
    """The checksum of a table set: the format, the tool version, the manifest and every table."""
    from cgt_claimcheck import __version__

    material = "\n".join([CACHE_FORMAT, __version__, hashlib.sha256(manifest_bytes).hexdigest(), *table_digests])
    return hashlib.sha256(material.encode()).hexdigest()


def cache_folder() -> Path | None:
    """The cache folder (None: caching turned off)."""
    root = os.environ.get(ENV_CACHE_DIR)
    if root is None:
        root = os.path.join(_user_folder("XDG_CACHE_HOME", ".cache"), "cgt-claimcheck")
    return None if root in ("", "off", "0") else Path(root)


def read_cache(key: str) -> tuple[object, ...] | None:
    """The cached rows of the table set `key`, or None when absent or not verifiable."""
    folder, secret = cache_folder(), _secret(create=False)
    if folder is None or secret is None:
        return None
    data = _read_cache_file(folder / f"reference-{key[:32]}.json")
    if data is None:
        return None
    signature, _, payload = data.partition(b"\n")
    expected = hmac.new(secret, key.encode() + b"\n" + payload, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        cached = json.loads(payload, object_hook=_revive)
    except (ValueError, TypeError, KeyError):  # signed but unreadable: a format change
        return None
    if not (isinstance(cached, list) and len(cached) == 8 and isinstance(cached[0], R.Manifest)):
        return None
    return tuple(cached)


MAX_CACHE_BYTES = 64 << 20  # the cached rows of the shipped tables are about 1 MB


def _read_cache_file(path: Path) -> bytes | None:
    """The cache file's bytes, or None: only a regular file, never through a symlink, bounded.

    The cache folder may be writable by others: a cache replaced by a symlink to /dev/zero (or a
    huge file) must cost nothing but a rebuild.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES:
                return None
            data = fh.read(MAX_CACHE_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_CACHE_BYTES else None


def write_cache(key: str, tables: tuple[object, ...]) -> None:
    """Store validated rows; any failure (read-only home, full disk) only costs the next run time."""
    folder, secret = cache_folder(), _secret(create=True)
    if folder is None or secret is None:
        return
    payload = json.dumps(list(tables), default=_flatten, separators=(",", ":")).encode()
    signature = hmac.new(secret, key.encode() + b"\n" + payload, hashlib.sha256).hexdigest().encode()
    path = folder / f"reference-{key[:32]}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(signature + b"\n" + payload)
        os.replace(tmp, path)
    except OSError:
        pass


def _flatten(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__row__": type(value).__name__} | {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    raise TypeError(f"cannot cache {type(value).__name__}")


def _revive(obj: dict[str, Any]) -> Any:
    if "__date__" in obj:
        return date.fromisoformat(obj["__date__"])
    name = obj.pop("__row__", None)
    if name is None:
        return obj
    return _ROW_CLASSES[name](**obj)


def _user_folder(variable: str, default: str) -> str:
    return os.environ.get(variable) or os.path.join(os.path.expanduser("~"), default)


def _secret(*, create: bool) -> bytes | None:
    """The per-user signing key, kept in the config folder (not the cache folder) and private.

    A key file that others could have written (wrong owner, group- or world-accessible) is not used.
    """
    path = Path(_user_folder("XDG_CONFIG_HOME", ".config")) / "cgt-claimcheck" / "cache-key"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        if not create:
            return None
        return _new_secret(path)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            return None
        key = os.read(fd, _KEY_BYTES + 1)
    finally:
        os.close(fd)
    return key if len(key) == _KEY_BYTES else None


def _new_secret(path: Path) -> bytes | None:
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another run made it first: use that one
        return _secret(create=False)
    except OSError:
        return None
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
