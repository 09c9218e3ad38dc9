from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cgt_claimcheck.reference import Reference, load_reference

REPO = Path(__file__).resolve().parent.parent

REFERENCE_DIR = REPO / "reference_data"


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile the package once, before any worker starts. Dozens of tests run
    `python -m cgt_claimcheck` as a real process from this checkout; where PYTHONDONTWRITEBYTECODE
    is set (as on CI) no .pyc is ever written, and each of them compiled every module from source
    again: a fifth of the suite's time."""
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller did it
        return
    import compileall

    compileall.compile_dir(str(REPO / "cgt_claimcheck"), quiet=1)


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Tests must not read or write the user's validation cache or its signing key.
    os.environ["CGT_CLAIMCHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="session")
def ref() -> Reference:
    return load_reference(REFERENCE_DIR)


@pytest.fixture
def reference_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped tables, for tests that break them."""
    target = tmp_path / "reference_data"
    shutil.copytree(REFERENCE_DIR, target)
    return target


@pytest.fixture(autouse=True)
def _x12_parity(monkeypatch: pytest.MonkeyPatch) -> None:
    """With CGT_CLAIMCHECK_X12_PARITY=1, every X12 file a test reads in this process is also read
    one segment at a time, and any difference fails the test (the vectorised mapping's harness)."""
    if os.environ.get("CGT_CLAIMCHECK_X12_PARITY") != "1":
        return
    from cgt_claimcheck.ingest.x12 import X12Reader
    from tests.x12_parity import differences

    batches = X12Reader.batches

    def compared(self: X12Reader):  # type: ignore[no-untyped-def]
        if not self.per_segment and self.path != "-":
            found = differences(self.path, payer=self.payer, batch_rows=self.batch_rows, max_repeats=self.max_repeats)
            assert not found, f"{self.path}: {found}"
        return batches(self)

    monkeypatch.setattr(X12Reader, "batches", compared)
