"""kill -9 under concurrent load: 8 client threads post recommendations (a new record id
each, `nl-rrmm`) to `mmpath serve --no-auth` for 1–3 s, the server is killed while they
are still posting, then every acknowledged audit id must be in the database and
`audit verify` must pass; the next round restarts on the same database.

    PYTHONPATH=src python bench/http/kill_concurrent.py [rounds=6] [database URL]

(bench/security/bench_security.py `kill` does the same with one client at a time.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))
import bench_security as bs

from mmpath.store import Store


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    folder = tempfile.mkdtemp(prefix="mmpath-kill-")
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder}/kill.sqlite3"
    Store(url).close()
    acknowledged: list[int] = []
    lock = threading.Lock()
    for round_ in range(rounds):
        port = bs._port()
        server = bs._serve(bs.ROOT / "src", url, port, "--rate-limit", "0", "--no-auth")
        stop = time.monotonic() + random.uniform(1.0, 3.0)

        def client(n: int, port: int = port, stop: float = stop, round_: int = round_) -> None:
            session = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
            i = 0
            while time.monotonic() < stop:
                record = {**bs.EXAMPLE, "id": f"k{round_}-{n}-{i}"}
                try:
                    answer = session.post("/api/v1/recommend?guideline=nl-rrmm", json=record)
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    with lock:
                        acknowledged.append(int(answer.headers["X-MMPath-Audit-Id"]))
                i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        while time.monotonic() < stop:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # the clients are still posting
        server.wait()
        for thread in threads:
            thread.join()
        store = Store(url)
        try:
            lost = [i for i in acknowledged if store.get_audit(i) is None]
            verified = store.verify_audit()
        finally:
            store.close()
        line = {
            "round": round_ + 1,
            "acknowledged": len(acknowledged),
            "lost": len(lost),
            "audit_verify_ok": verified.ok,
            "chain_rows": verified.rows,
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
