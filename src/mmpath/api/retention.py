"""Audit payload retention while serving (``mmpath serve --audit-retention-days N``).

With ``Settings.audit_retention_days`` set, the app's lifespan prunes the stored records
and outputs of audit rows older than N days (:meth:`mmpath.store.Store.prune_payloads`,
the same as ``mmpath audit prune``) once when the server starts, before it takes a
request, and then once a day while it runs. The rows, their digests and the hash chain
stay; each pruning is itself a ``retention`` row, so ``mmpath audit verify`` still passes
and knows which payloads may be missing. Unset (the default): payloads are kept forever.

A failure at start stops the start (the setting is a promise about what is kept); a
failure of a daily run is logged and tried again the next day. The log says counts and
times only, never a record. With several worker processes each one prunes (pruning is
idempotent; each run is a ``retention`` row).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI

from mmpath.store import Store, StoreError

#: Seconds between two runs while serving.
DAY = 86_400.0

log = logging.getLogger("mmpath.retention")

Sleep = Callable[[float], Awaitable[None]]


def prune_once(store: Store, days: int, *, now: dt.datetime | None = None) -> int:
    """Prune the payloads of audit rows older than ``days``; the number deleted."""
    before = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    deleted = store.prune_payloads(before, source="serve")
    log.info(
        "audit retention (%d days): %d payloads before %s deleted",
        days,
        deleted,
        before.isoformat(timespec="seconds"),
    )
    return deleted


async def run_daily(
    store: Store, days: int, *, interval: float = DAY, sleep: Sleep = asyncio.sleep
) -> None:
    """Prune every ``interval`` seconds until cancelled (the first run is the start's)."""
    while True:
        await sleep(interval)
        try:
            await asyncio.to_thread(prune_once, store, days)
        except StoreError as error:
            log.warning("audit retention failed, tried again in %.0f s: %s", interval, error)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: retention at start and daily, when configured."""
    days: int | None = app.state.settings.audit_retention_days
    if not days:
        yield
        return
    store: Store = app.state.store
    await asyncio.to_thread(prune_once, store, days)
    task = asyncio.create_task(run_daily(store, days), name="mmpath-audit-retention")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
