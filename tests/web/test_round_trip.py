"""Record -> form -> submitted record is the identical record, for every shipped example
and every vignette record (issue 10: the form is faithful: none is not unknown)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from mmpath.api.service import stored_form
from mmpath.record.load import decode, parse_record
from mmpath.store import Store
from mmpath.web import form as F
from signin import signed_in_client
from web.formpost import submitted

ROOT = Path(__file__).resolve().parents[2]


def _records() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((ROOT / "src" / "mmpath" / "examples").iterdir()):
        data = decode(path.read_text("utf-8"), yaml_syntax=path.suffix != ".json")
        found.append((f"example/{path.name}", data))
    for path in sorted((ROOT / "tests" / "vignettes").rglob("*")):
        if path.suffix not in (".json", ".yaml", ".yml"):
            continue
        data = decode(path.read_text("utf-8"), yaml_syntax=path.suffix != ".json")
        if isinstance(data, dict) and isinstance(data.get("record"), dict):
            found.append((str(path.relative_to(ROOT / "tests" / "vignettes")), data["record"]))
    return found


RECORDS = _records()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('rt') / 'rt.sqlite3'}")
    yield signed_in_client(store, "clinician", raise_server_exceptions=True)
    store.close()


def test_there_are_records_to_round_trip() -> None:
    assert len([n for n, _ in RECORDS if n.startswith("example/")]) >= 6
    assert len(RECORDS) > 100


@pytest.mark.parametrize(("name", "record"), RECORDS, ids=[n for n, _ in RECORDS])
def test_record_form_record_is_identical(client: TestClient, name: str, record: Any) -> None:
    expected = stored_form(parse_record(record))
    page = client.post("/edit", data={"record": json.dumps(expected)})
    assert page.status_code == 200
    fields = submitted(page.text, "patient-form")
    assert F.record_from_form(FormData(fields)) == expected
