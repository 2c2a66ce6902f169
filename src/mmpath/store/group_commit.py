"""Group commit for audit rows: concurrent writes share one transaction and one fsync.

Each caller hands its row to a single writer thread and blocks until the transaction
holding it has committed, then gets the row's id: nothing is acknowledged before it is
durable. With SQLite in ``synchronous=FULL`` mode a commit costs an fsync (milliseconds),
so writing rows one transaction each caps the audited request rate; batching the rows
that arrive while a commit is in progress lifts that cap without weakening durability.

If a batch fails, each of its rows is retried alone, so one bad row cannot fail the
others; a row that still fails raises in its caller (the HTTP API answers 503).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

Row = dict[str, Any]
#: Inserts the rows in one transaction and returns their ids in order (raises on failure).
WriteBatch = Callable[[list[Row]], list[int]]

MAX_BATCH = 64
_STOP = object()


class GroupCommit:
    def __init__(self, write: WriteBatch, *, name: str = "mmpath-audit-writer") -> None:
        self._write = write
        self._queue: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._name = name

    def submit(self, row: Row) -> int:
        """Write ``row``; return its id once committed (or raise the write's error)."""
        return self.submit_future(row).result()

    def submit_future(self, row: Row) -> Future[int]:
        """Queue ``row``; the future resolves to its id once committed (or to the error)."""
        future: Future[int] = Future()
        self._ensure_started()
        self._queue.put((row, future))
        return future

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=10)

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Row, Future[int]]]) -> None:
        try:
            ids = self._write([row for row, _ in batch])
        except BaseException as error:
            if len(batch) == 1:
                batch[0][1].set_exception(error)
                return
            for item in batch:  # isolate the failing row(s)
                self._commit([item])
            return
        for (_, future), row_id in zip(batch, ids, strict=True):
            future.set_result(row_id)
