"""What the fork server of read workers imports once for all of them (workers.worker_context):
jemalloc's setting and pandas kept out first, then the engine's file reader. jemalloc reads its
setting when pyarrow loads (arrow_pool.py). pyarrow would otherwise load pandas (a quarter of a
second, some 40 MB in every worker) only to ask whether a value is a frame, and a worker never
sees one."""

from cgt_claimcheck.arrow_pool import give_freed_pages_back
from cgt_claimcheck.pandas_free import keep_pandas_out

give_freed_pages_back()  # jemalloc reads it when pyarrow loads: before the engine is imported
keep_pandas_out()

from cgt_claimcheck.engine import file_read  # noqa: E402  (after pandas is kept out)

__all__ = ["file_read"]
