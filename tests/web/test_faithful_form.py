"""The form is faithful: none is not unknown, a near-empty record is not answered, and a
shipped example typed into the form gets the answer the API gives (issue 10)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from mmpath.store import Store
from mmpath.web import form as F
from mmpath.web.examples import example_names
from signin import signed_in_client
from web.formpost import submitted

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'form.sqlite3'}")
    yield store
    store.close()


@pytest.fixture
def client(store: Store) -> TestClient:
    return signed_in_client(store, "clinician", raise_server_exceptions=True)


def _applicable(page: str) -> list[str]:
    """The guideline ids a result page marks as applying."""
    return sorted(set(re.findall(r'data-guideline="([a-z0-9-]+)" data-applies="true"', page)))


@pytest.mark.parametrize("name", example_names())
def test_every_example_typed_into_the_form_gets_the_api_answer(
    client: TestClient, store: Store, name: str
) -> None:
    form = client.get(f"/examples/{name}")
    fields = submitted(form.text, "patient-form")
    page = client.post("/evaluate", data=_posted(fields))
    assert page.status_code == 200, page.text[:2000]
    web_entry = _last_answer(store)  # the access log (viewing the result) shares the trail
    api = client.post("/api/v1/recommend", json=json.loads(web_entry.record_json)).json()
    expected = sorted(r["guideline"]["id"] for r in api["results"] if r["applicable"])
    assert _applicable(page.text) == expected
    assert _last_answer(store).input_digest == web_entry.input_digest


def test_newly_diagnosed_example_gets_only_the_first_line_guideline(client: TestClient) -> None:
    form = client.get("/examples/newly-diagnosed-transplant-eligible.json")
    page = client.post("/evaluate", data=_posted(submitted(form.text, "patient-form")))
    assert _applicable(page.text) == ["dk-ndmm-te"]


def _last_answer(store: Store) -> Any:
    return next(e for e in store.list_audit(limit=10) if e.action == "evaluate")


def _posted(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def test_none_boxes_record_empty_lists_and_unticked_is_unknown() -> None:
    ticked = FormData([(F.NONE, "treatments"), (F.NONE, "progressions"), (F.NONE, "mrd")])
    assert F.record_from_form(ticked) == {
        "schema_version": "1",
        "treatments": [],
        "progressions": [],
        "mrd": [],
    }
    assert F.record_from_form(FormData([])) == {"schema_version": "1"}
    for group in ("labs", "treatments", "procedures", "progressions", "mrd"):
        assert F.ROWS[group].none, f"{group} has no 'none' box"


def test_none_box_with_rows_is_a_problem_named_by_the_group(client: TestClient) -> None:
    fields = [
        ("schema_version", "1"),
        (F.NONE, "treatments"),
        ("treatments[0].regimen", "VRd"),
        ("treatments[0].start", "2024-01-01"),
        ("status", "relapsed"),
    ]
    assert [p.path for p in F.form_problems(FormData(fields))] == ["treatments"]
    page = client.post("/evaluate", data=_posted(fields))
    assert page.status_code == 422
    assert "No treatment yet" in page.text and "untick it or clear the rows" in page.text
    assert 'href="#f-treatments"' in page.text


@pytest.mark.parametrize("view", ["/evaluate", "/compare", "/summary", "/summary.pdf"])
def test_a_near_empty_record_is_refused_not_answered(
    client: TestClient, store: Store, view: str
) -> None:
    page = client.post(view, data={"schema_version": "1", "age": "70", "sex": "male"})
    assert page.status_code == 422
    assert "too little to evaluate" in page.text
    assert "preferred" not in page.text.lower()
    assert store.count_audit("evaluate") == 0
    ok = client.post(view, data={"schema_version": "1", "age": "70", F.NONE: "treatments"})
    assert ok.status_code == 200


def test_dates_typed_as_eight_digits_become_iso_dates_and_others_pass_through() -> None:
    fields = [
        ("schema_version", "1"),
        ("birth_date", "19610314"),
        ("diagnosis.date", "2023-12"),
        ("treatments[0].regimen", "VRd"),
        ("treatments[0].start", " 20240101 "),
    ]
    record = F.record_from_form(FormData(fields))
    assert record["birth_date"] == "1961-03-14"
    assert record["treatments"][0]["start"] == "2024-01-01"
    assert record["diagnosis"]["date"] == "2023-12"  # left for validation to name
