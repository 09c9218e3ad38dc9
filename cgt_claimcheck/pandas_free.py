"""Keep pandas out of a process that never hands a frame to anyone: a command-line check, a read worker.

pyarrow imports pandas (when it is installed) the first time it builds an array from a Python
list or a table from a dict, only to ask whether the object is a pandas one. That is 0.25-0.3 s
of a 50-line check, for nothing: the check path is pyarrow and numpy (issue 24). In such a
process a finder answers that there is no pandas, and pyarrow carries on without it. It is never
installed where frames may already live (the Python API, a notebook), only in processes the
tool owns from start to end.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class NoPandas:
    """A meta-path finder that refuses pandas: `import pandas` raises ModuleNotFoundError."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"pandas is kept out of this process ({__name__})", name=name)
        return None


def keep_pandas_out() -> None:
    """Refuse pandas in this process from now on, unless it is already loaded."""
    if "pandas" in sys.modules or any(isinstance(finder, NoPandas) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, NoPandas())
