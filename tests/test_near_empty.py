"""A near-empty record is refused the same way by every door (issue 10): the shared
``mmpath.service.recommend`` (vignettes, CDS Hooks), the HTTP API (422 naming the field
path), the CLI (exit 2 with the message) and the web pages (the form again)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mmpath.present.cli import app as cli
from mmpath.record.errors import RecordError
from mmpath.record.evaluable import MESSAGE, PATH, near_empty
from mmpath.record.load import parse_record
from mmpath.service import recommend
from mmpath.store import Store
from signin import signed_in_client

#: Records with no diagnosis, no treatment history (unknown) and no status.
NEAR_EMPTY: list[dict[str, Any]] = [
    {"schema_version": "1"},
    {"schema_version": "1", "age": 70, "sex": "male", "ecog": 1},
    {"schema_version": "1", "diagnosis": {}, "comorbidities": ["diabetes"], "region": "NL"},
    {
        "schema_version": "1",
        "labs": [{"date": "2026-01-01", "test": "creatinine", "value": 80, "unit": "umol/L"}],
    },
]
#: Any one of the three is enough.
ENOUGH: list[dict[str, Any]] = [
    {"schema_version": "1", "treatments": []},
    {"schema_version": "1", "status": "relapsed"},
    {"schema_version": "1", "diagnosis": {"isotype": "IgG kappa"}},
]


@pytest.fixture
def client(tmp_path: Path) -> Any:
    store = Store(f"sqlite:///{tmp_path / 'near-empty.sqlite3'}")
    try:
        yield signed_in_client(store, "clinician", raise_server_exceptions=True), store
    finally:
        store.close()


@pytest.mark.parametrize("data", NEAR_EMPTY)
def test_recommend_refuses_a_near_empty_record(data: dict[str, Any]) -> None:
    record = parse_record(data)
    assert near_empty(record) is not None
    with pytest.raises(RecordError) as refused:
        recommend(record)
    assert [(p.path, p.message) for p in refused.value.problems] == [(PATH, MESSAGE)]


@pytest.mark.parametrize("data", ENOUGH)
def test_one_of_diagnosis_treatments_status_is_enough(data: dict[str, Any]) -> None:
    record = parse_record(data)
    assert near_empty(record) is None
    assert recommend(record).results


@pytest.mark.parametrize("data", NEAR_EMPTY)
def test_api_answers_422_with_the_field_path_and_stores_nothing(
    client: Any, data: dict[str, Any]
) -> None:
    http, store = client
    before = store.count_audit()  # sign-in may write its own row
    for route in ("/api/v1/recommend", "/api/v1/recommend?guideline=dk-ndmm-te"):
        answer = http.post(route, json=data)
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["problems"] == [{"path": PATH, "message": MESSAGE}]
        assert "preferred" not in answer.text
    checked = http.post("/api/v1/validate", json=data).json()
    assert checked == {"valid": False, "problems": [{"path": PATH, "message": MESSAGE}]}
    assert store.count_audit() == before


def test_api_answers_a_record_with_enough(client: Any) -> None:
    http, store = client
    before = store.count_audit()
    assert http.post("/api/v1/recommend", json=ENOUGH[0]).status_code == 200
    assert store.count_audit() == before + 1


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_exits_2_with_the_message(tmp_path: Path, as_json: bool) -> None:
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(NEAR_EMPTY[1]), "utf-8")
    args = ["recommend", str(path), *(["--json"] if as_json else [])]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"{path}: {PATH}: {MESSAGE}" in " ".join(result.output.split())
    assert "preferred" not in result.output.lower()


def test_web_form_shows_the_same_problem(client: Any) -> None:
    http, store = client
    before = store.count_audit()
    page = http.post("/evaluate", data={"schema_version": "1", "age": "70"})
    assert page.status_code == 422
    assert "too little to evaluate" in page.text
    assert "preferred" not in page.text.lower()
    assert store.count_audit() == before
