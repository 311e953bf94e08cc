"""Writes that need not hold up a charger's answer, gathered on the event loop and made in batches.

`add` only appends to a per-process buffer (no database). A timer on the event loop hands the
buffer to the frames' database workers (ocpp_ws/group_commit.py) `interval` seconds after its
first item, or at once when `size` items wait, where `write(batch=...)` stores the whole
batch in a few statements, in a transaction of its own (not one of the frames' batches). So
such a write costs no database round trip per frame; a process that dies loses at most the
last `interval` seconds of them.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from csms import metrics, shutdown
from ocpp_ws.group_commit import frames_db

log = logging.getLogger(__name__)

# Every write-behind queue of the process, by what it holds: their depths are read at each scrape.
queues: dict[str, "WriteBehind"] = {}
metrics.read_at_scrape(
    "csms_write_behind_queued", "Items waiting in a write-behind queue.", ["queue"],
    lambda: {(what,): len(queue.pending) for what, queue in queues.items()},
)  # fmt: skip


class WriteBehind:
    def __init__(self, write: Callable[..., Any], *, interval: float, size: int, what: str):
        self.write = write
        self.interval, self.size, self.what = interval, size, what
        self.pending: list = []
        self.flush_handle: asyncio.Handle | None = None
        self.writing: set[asyncio.Task] = set()
        queues[what] = self

    def add(self, item) -> None:
        """Queue one item; called on the event loop."""
        self.pending.append(item)
        if len(self.pending) >= self.size:
            self.flush()
        elif self.flush_handle is None:
            self.flush_handle = asyncio.get_running_loop().call_later(self.interval, self.flush)

    def flush(self) -> None:
        if self.flush_handle is not None:
            self.flush_handle.cancel()
            self.flush_handle = None
        batch, self.pending = self.pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self.hand_over(batch))
            self.writing.add(task)
            task.add_done_callback(self.writing.discard)

    async def written(self) -> None:
        """Everything queued so far, written (or failed)."""
        self.flush()
        await asyncio.gather(*self.writing)

    async def hand_over(self, batch: list) -> None:
        metrics.BATCH_SIZE.labels(self.what).observe(len(batch))
        try:
            await frames_db.run(self.write, alone=True, batch=batch)
        except Exception:
            log.exception("%d %s could not be written", len(batch), self.what)


async def queues_written(deadline: float) -> None:
    """On shutdown, after the sockets closed (their last frames and disconnects queued): nothing held back is lost."""
    await asyncio.gather(*(queue.written() for queue in queues.values()))


shutdown.on_drain(shutdown.FLUSH_WRITES, "writes held behind", queues_written)
