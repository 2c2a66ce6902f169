"""The guideline pages: list, decision structure, and a patient's path (audited)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmpath.store import Store
from signin import signed_in_client

from .conftest import ROOT

RECORD = json.loads((ROOT / "examples" / "first-relapse-on-lenalidomide.json").read_text("utf-8"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    yield store
    store.close()


@pytest.fixture
def client(store: Store) -> TestClient:
    return signed_in_client(store, "clinician", raise_server_exceptions=True)


def test_the_list_links_every_installed_pack(client: TestClient) -> None:
    page = client.get("/guidelines")
    assert page.status_code == 200
    for pack_id in ("nl-rrmm", "dk-ndmm-te", "be-rrmm", "es-len-refractory", "jp-rrmm"):
        assert f'href="/guidelines/{pack_id}"' in page.text


def test_a_guideline_page_shows_the_structure_without_a_patient(client: TestClient) -> None:
    page = client.get("/guidelines/nl-rrmm")
    assert page.status_code == 200
    assert (
        "<svg" in page.text and "<title>Rule len-refractory-dara-naive-or-sensitive:" in page.text
    )
    assert "✓" not in page.text.split("<svg", 1)[1].split("</svg>")[0]
    assert client.get("/guidelines/nl-rrmm/graph.svg").headers["content-type"] == "image/svg+xml"
    assert client.get("/guidelines/nl-rrmm/graph.mmd").text.startswith("flowchart LR")
    assert client.get("/guidelines/no-such-pack").status_code == 404


def test_the_path_of_a_patient_is_shown_and_audited(client: TestClient, store: Store) -> None:
    before = store.count_audit()
    page = client.post("/guidelines/nl-rrmm/path", data={"record": json.dumps(RECORD)})
    assert page.status_code == 200
    svg = page.text.split("<svg", 1)[1]
    assert "✓ lenalidomide_refractory" in svg
    assert "recommended" in svg and "not reached" in svg
    (entry,) = store.list_audit(limit=1)
    assert store.count_audit() == before + 1
    assert entry.guideline == "nl-rrmm" and entry.source == "web"


def test_a_bad_record_is_refused_and_nothing_is_audited(client: TestClient, store: Store) -> None:
    before = store.count_audit()
    bad = dict(RECORD, ecog=9)
    page = client.post("/guidelines/nl-rrmm/path", data={"record": json.dumps(bad)})
    assert page.status_code == 422 and "ecog" in page.text
    assert client.post("/guidelines/nl-rrmm/path", data={}).status_code == 400
    assert store.count_audit() == before


def test_the_result_page_offers_the_pathway_picture(client: TestClient) -> None:
    page = client.post("/evaluate", data={"record": json.dumps(RECORD), "show": "nl-rrmm"})
    assert page.status_code == 200
    assert 'formaction="/guidelines/nl-rrmm/path"' in page.text
