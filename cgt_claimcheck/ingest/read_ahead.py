"""Read the next batch while this one is screened: a reader thread one batch ahead.

Arrow parses a chunk of CSV or Parquet with the GIL released, and screening is mostly Arrow
kernels too: with the next chunk read on a thread while the current one is screened, the two
overlap instead of taking turns. Batches come out in order; an error while reading surfaces
where the batch it stopped would have (after the batches read before it); a consumer that stops
early (an error of its own, Ctrl-C) stops the thread at its next batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def read_ahead(batches: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The same items as `batches`, produced on a thread up to `depth` items ahead."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put(exc)

    thread = threading.Thread(target=produce, name="cgt-claimcheck read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue, then let it end
            try:
                handoff.get_nowait()
            except queue.Empty:
                pass
            thread.join(timeout=0.1)
