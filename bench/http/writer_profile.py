"""The audit writer under concurrency, in process (no HTTP): 8 coroutines post the example
patient through ``recommend_and_audit_async`` for a few seconds against a fresh SQLite
store; prints requests, process CPU per request, and the single writer's batches (rows
per batch, the writer thread's CPU and wall time per batch).

    PYTHONPATH=src python bench/http/writer_profile.py [guideline=nl-rrmm] [seconds=5] [off]

``off``: the same load without the audit write (``store=None``), for the CPU comparison.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mmpath.api.service import recommend_and_audit_async
from mmpath.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "first-relapse-on-lenalidomide.json"


def main() -> None:
    guideline = sys.argv[1] if len(sys.argv) > 1 else "nl-rrmm"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    audit = not (len(sys.argv) > 3 and sys.argv[3] == "off")
    data = json.loads(EXAMPLE.read_text("utf-8"))
    store = Store(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    inner = store._insert_audit_rows
    stats = {"batches": 0, "rows": 0, "cpu": 0.0, "wall": 0.0}

    def write(rows: list[dict[str, Any]]) -> list[int]:
        cpu, wall = time.thread_time(), time.perf_counter()
        ids = inner(rows)
        stats["cpu"] += time.thread_time() - cpu
        stats["wall"] += time.perf_counter() - wall
        stats["batches"] += 1
        stats["rows"] += len(rows)
        return ids

    store._audit_writer._write = write
    target = store if audit else None

    async def client(stop: float, done: list[float]) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            await recommend_and_audit_async(target, data, guideline)
            done.append(time.perf_counter() - started)

    async def run() -> None:
        await recommend_and_audit_async(target, data, guideline)  # warm-up
        for key in stats:
            stats[key] = 0
        done: list[float] = []
        cpu = time.process_time()
        stop = time.monotonic() + seconds
        await asyncio.gather(*(client(stop, done) for _ in range(8)))
        per_request = (time.process_time() - cpu) / len(done) * 1000
        done.sort()
        line = (
            f"{guideline} audit={'on' if audit else 'off'}: {len(done)} requests, "
            f"p50 {done[len(done) // 2] * 1000:.1f} ms, CPU/request {per_request:.2f} ms"
        )
        if stats["batches"]:
            batches = stats["batches"]
            line += (
                f"; {batches} batches, {stats['rows'] / batches:.2f} rows/batch, writer CPU "
                f"{stats['cpu'] / batches * 1000:.2f} ms and wall {stats['wall'] / batches * 1000:.2f} "
                "ms per batch"
            )
        print(line)

    try:
        asyncio.run(run())
    finally:
        store.close()


if __name__ == "__main__":
    main()
