"""One recommend-and-audit path: every door stores the same record and digest, and no
door makes the event loop wait on an evaluation or an audit commit (issue 10)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.auth import accounts
from mmpath.store import Store
from signin import ensure_user, signed_in_client

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "src" / "mmpath" / "examples").glob("*.json"))


def _loose(record: dict[str, Any]) -> dict[str, Any]:
    """The same patient written differently: keys reversed, integers for whole floats,
    an explicit null for an unknown value."""
    out = dict(reversed(list(record.items())))
    out["donor_available"] = None
    for lab in out.get("labs", []):
        if isinstance(lab.get("value"), float) and lab["value"].is_integer():
            lab["value"] = int(lab["value"])
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_door_stores_the_same_record_and_digest(path: Path, tmp_path: Path) -> None:
    example = json.loads(path.read_text("utf-8"))
    store = Store(f"sqlite:///{tmp_path / 'doors.sqlite3'}")
    try:
        client = signed_in_client(store, "clinician", raise_server_exceptions=True)
        api = client.post("/api/v1/recommend", json=example)
        api_loose = client.post("/api/v1/recommend", json=_loose(example))
        assert api.status_code == api_loose.status_code == 200
        web = client.post("/evaluate", data={"record": json.dumps(_loose(example))})
        assert web.status_code == 200
        # the recommendations (the sign-in is in the same chain)
        entries = [e for e in store.list_audit() if e.action == "evaluate"]
        assert len(entries) == 3
        assert {e.source for e in entries} == {"api", "web"}
        assert len({e.input_digest for e in entries}) == 1, [e.source for e in entries]
        assert len({e.record_json for e in entries}) == 1
        assert api.text == api_loose.text
    finally:
        store.close()


def test_a_slow_audit_commit_does_not_stall_other_requests(tmp_path: Path, example: Any) -> None:
    """While one web and one API request wait on a slow commit, the loop answers others."""
    store = Store(f"sqlite:///{tmp_path / 'slow.sqlite3'}")
    inner = store._insert_audit_rows
    release = threading.Event()

    def slow(rows: list[dict[str, Any]]) -> list[int]:
        release.wait(10)
        return inner(rows)

    ensure_user(store, "api-clinician", "clinician")
    token = accounts.create_token(store, "api-clinician", "tests")  # before the slow writer
    store._audit_writer._write = slow
    app = create_app(Settings(), store=store)

    async def scenario() -> tuple[float, list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://127.0.0.1",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            web = asyncio.create_task(
                client.post("/evaluate", data={"record": json.dumps(example)})
            )
            api = asyncio.create_task(client.post("/api/v1/recommend", json=example))
            await asyncio.sleep(0.5)  # both are now waiting on the commit
            started = time.monotonic()
            version = await asyncio.wait_for(client.get("/api/v1/version"), 5)
            answered = time.monotonic() - started
            assert version.status_code == 200
            assert not web.done() and not api.done()
            release.set()
            return answered, [(await web).status_code, (await api).status_code]

    try:
        answered, codes = asyncio.run(scenario())
    finally:
        release.set()
        store.close()
    assert codes == [303, 200]  # the web page redirects to the audited answer
    assert answered < 2
