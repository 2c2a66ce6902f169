"""The web pages without a browser: rendering, form <-> record, problems, audit, no URLs.

These run in-process against the real ``create_app()`` with SQLite in a temp folder.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmpath.record.load import parse_record
from mmpath.service import recommend
from mmpath.store import Store
from mmpath.web import form as F
from mmpath.web.labels import fact_label, option_label, words
from mmpath.web.timeline import render_timeline
from signin import signed_in_client

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "first-relapse-on-lenalidomide.json"


@pytest.fixture
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    return data


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    yield store
    store.close()


@pytest.fixture
def client(store: Store) -> TestClient:
    return signed_in_client(store, "clinician", raise_server_exceptions=True)


def posted(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields as httpx takes them (repeated names as lists)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def form_fields(record: dict[str, Any]) -> list[tuple[str, str]]:
    """What a browser posts for ``record`` typed into the form."""
    fields: list[tuple[str, str]] = [("schema_version", "1")]

    def put(name: str, value: Any) -> None:
        if isinstance(value, list) and F.field_for(name, F.input_names(record)) in {
            "comorbidities",
            *(n for n in F.input_names(record) if n.endswith(".features")),
        }:
            fields.extend((name, str(v)) for v in value)
        else:
            fields.append((name, F.display(value)))

    for key, value in record.items():
        if key == "schema_version":
            continue
        if key == "comorbidities":
            fields.append((F.ASSESSED, "1"))
        if key == "asserted":
            for i, (fact, flag) in enumerate(value.items()):
                fields += [(f"asserted[{i}].fact", fact), (f"asserted[{i}].value", F.display(flag))]
        elif isinstance(value, dict):
            for sub, item in value.items():
                put(f"{key}.{sub}", item)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                for sub, item in row.items():
                    put(f"{key}[{i}].{sub}", item)
        else:
            put(key, value)
    return fields


# ------------------------------------------------------------------ form <-> record


def test_form_round_trips_the_example(example: dict[str, Any]) -> None:
    from starlette.datastructures import FormData

    assert F.record_from_form(FormData(form_fields(example))) == example


def test_form_round_trips_every_section() -> None:
    from starlette.datastructures import FormData

    record = {
        "schema_version": "1",
        "id": "all-sections",
        "age": 70,
        "weight_kg": 71.5,
        "ecog": 2,
        "frailty": {"charlson_index": 1, "katz_adl": 6, "lawton_iadl": 8},
        "comorbidities": [],
        "diagnosis": {"date": "2022-01-01", "iss": 3, "plasma_cell_leukemia": False},
        "cytogenetics": {"del_17p": True, "del_17p_fraction": 0.35, "t_11_14": False},
        "extramedullary": "none",
        "labs": [{"date": "2026-10-01", "test": "creatinine", "value": 120, "unit": "µmol/L"}],
        "treatments": [
            {
                "regimen": "DRd",
                "start": "2022-02-01",
                "end": "2023-01-01",
                "stop_reason": "toxicity",
                "cycles": 10,
                "line": 1,
            }
        ],
        "procedures": [{"type": "radiotherapy", "date": "2023-02-01"}],
        "stem_cells": {"stored_grafts": 1, "sufficient_for_asct": True},
        "progressions": [{"date": "2026-09-01", "type": "biochemical", "features": ["rapid_rise"]}],
        "mrd": [{"date": "2022-12-01", "result": "positive", "sensitivity": 1e-5}],
        "status": "relapsed",
        "transplant_eligible": False,
        "donor_available": False,
        "contraindications": ["anti_cd38"],
        "intolerances": [],
        "asserted": {"frail": True},
        "region": "DK",
    }
    assert F.record_from_form(FormData(form_fields(record))) == record
    parse_record(record)  # the form's record validates


def test_empty_inputs_are_unknown_not_no() -> None:
    from starlette.datastructures import FormData

    posted = FormData(
        [
            ("schema_version", "1"),
            ("ecog", ""),
            ("transplant_eligible", ""),
            ("cytogenetics.del_17p", ""),
            ("labs[0].date", ""),
            ("labs[0].test", ""),
        ]
    )
    assert F.record_from_form(posted) == {"schema_version": "1"}


def test_problem_paths_map_to_inputs() -> None:
    record = {"treatments": [{"regimen": "VTd"}, {"regimen": "x"}]}
    names = F.input_names(record)
    assert F.field_for("treatments[1].end", names) == "treatments[1].end"
    assert F.field_for("treatments[0].drugs[2]", names) == "treatments[0].drugs"
    assert F.field_for("frailty.katz_adl", names) == "frailty.katz_adl"
    assert F.field_for("comorbidities[3]", names) == "comorbidities"
    assert F.field_for("asserted.no_such_fact", names) is None
    assert (
        F.field_for("asserted.nope", names, {"asserted": {"frail": True, "nope": True}})
        == "asserted[1].fact"
    )
    assert F.field_for("nonsense", names) is None


def test_every_fact_need_has_a_form_section() -> None:
    from mmpath.assess import FACTS

    sections = {f"s-{s.id}" for s in F.SECTIONS}
    tops = {item.name.split(".")[0] for s in F.SECTIONS for item in s.items}
    for spec in FACTS.values():
        for need in spec.needs:
            assert need in tops, f"{spec.name} needs {need}, which the form lacks"
            assert F.section_of(need) in sections


# ------------------------------------------------------------------ pages


def test_pages_render(client: TestClient, example: dict[str, Any]) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/about").status_code == 200
    assert client.get("/patients").status_code == 200
    for path in ("/static/app.css", "/static/app.js"):
        assert client.get(path).status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    posted = {"record": json.dumps(example)}
    for path in ("/evaluate", "/compare", "/summary", "/edit"):
        response = client.post(path, data=posted)
        assert response.status_code == 200, path
        assert "<!doctype html>" in response.text


def test_result_page_shows_options_sources_and_facts(
    client: TestClient, example: dict[str, Any]
) -> None:
    out = recommend(parse_record(example), "all")
    nl = next(r for r in out.results if r.guideline.id == "nl-rrmm")
    page = client.post("/evaluate", data=posted(form_fields(example))).text
    for option in nl.options:
        assert f'id="opt-{option.id}"' in page
        for source in option.sources:
            assert _escaped(source.english) in page
            assert _escaped(source.quote) in page
    for excluded in nl.excluded:
        assert _escaped(words(excluded.reason)) in page
    for name, fact in nl.facts.items():  # in words: labels.fact_label, labels.words
        assert f'<th scope="row">{_escaped(fact_label(name))}</th>' in page
        assert _escaped(words(fact.why)) in page
    for missing in nl.missing:
        for need in missing.needs:
            assert f'formaction="/edit#{F.section_of(need)}"' in page


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_each_evaluation_is_audited(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    before = store.count_audit("evaluate")
    client.post("/evaluate", data=posted(form_fields(example)))
    client.post("/compare", data={"record": json.dumps(example)})
    entries = [e for e in store.list_audit(limit=10) if e.action == "evaluate"][:2]
    assert store.count_audit("evaluate") == before + 2
    assert {e.source for e in entries} == {"web"}
    assert json.loads(entries[0].record_json) == example
    assert entries[0].input_digest == entries[1].input_digest
    assert json.loads(entries[0].output_json) == json.loads(
        recommend(parse_record(example), "all").model_dump_json()
    )


def test_invalid_record_shows_problems_and_evaluates_nothing(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    bad = copy.deepcopy(example)
    bad["treatments"][1]["start"] = "2024-13-40"
    bad["labs"] = [{"date": "2026-10-01", "test": "calcium", "value": 2.5, "unit": "g/dL"}]
    before = store.count_audit("evaluate")
    response = client.post("/evaluate", data=posted(form_fields(bad)))
    assert response.status_code == 422
    page = response.text
    assert "treatments[1].start" in page and "labs[0].unit" in page
    assert f'id="{F.field_id("labs[0].unit")}-err"' in page
    assert f'id="{F.field_id("treatments[1].start")}-err"' in page
    assert 'value="2024-13-40"' in page  # what the user typed is kept
    assert "tier-preferred" not in page
    assert store.count_audit("evaluate") == before


def test_unknown_asserted_fact_is_a_problem_not_a_crash(
    client: TestClient, example: dict[str, Any]
) -> None:
    bad = {**example, "asserted": {"not_a_fact": True}}
    response = client.post("/evaluate", data={"record": json.dumps(bad)})
    assert response.status_code == 422
    assert "Assertions: not a fact" in response.text  # the path as the form names it
    assert f'id="{F.field_id("asserted[0].fact")}-err"' in response.text


def test_import_yaml_and_download_json(client: TestClient, example: dict[str, Any]) -> None:
    import yaml

    upload = yaml.safe_dump(example).encode()
    response = client.post("/import", files={"file": ("patient.yaml", upload, "application/yaml")})
    assert response.status_code == 200
    assert f'value="{example["treatments"][1]["regimen"]}"' in response.text
    broken = client.post(
        "/import", files={"file": ("patient.json", b"{not json", "application/json")}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.text
    download = client.post("/record.json", data=posted(form_fields(example)))
    assert download.headers["content-type"].startswith("application/json")
    assert json.loads(download.content) == example


def test_pdf_summary(client: TestClient, example: dict[str, Any]) -> None:
    response = client.post("/summary.pdf", data={"record": json.dumps(example)})
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response.headers["content-disposition"].startswith("attachment")


def test_saved_patients(client: TestClient, store: Store, example: dict[str, Any]) -> None:
    response = client.post(
        "/patients/save", data=posted(form_fields(example)), follow_redirects=False
    )
    assert response.status_code == 303
    patient_id = response.headers["location"].split("/")[2].split("?")[0]
    assert store.get_patient(patient_id) is not None
    assert example["id"] in client.get("/patients").text
    changed = {**example, "ecog": 2}
    fields = [*form_fields(changed), ("_patient_id", patient_id)]
    client.post("/patients/save", data=posted(fields), follow_redirects=False)
    saved = store.get_patient(patient_id)
    assert saved is not None and saved.record["ecog"] == 2
    client.post("/evaluate", data=posted(fields))
    assert (
        next(e for e in store.list_audit(limit=10) if e.action == "evaluate").saved_patient_id
        == patient_id
    )
    assert client.post(f"/patients/{patient_id}/delete", follow_redirects=False).status_code == 303
    assert store.get_patient(patient_id) is None
    assert client.get(f"/patients/{patient_id}").status_code == 404


# ------------------------------------------------------------------ pieces


def test_comparison_page_shows_the_core_comparison(
    client: TestClient, example: dict[str, Any]
) -> None:
    """The page renders ``RecommendationOut.comparison``: every row, cell and statement."""
    out = recommend(parse_record(example), "all")
    assert out.comparison is not None
    page = client.post("/compare", data=posted(form_fields(example))).text
    for column in out.comparison.columns:
        assert f'<th scope="col">{column.guideline}<br>' in page
    for row in out.comparison.rows:  # in words: labels.option_label, labels.words
        assert f'<th scope="row">{_escaped(option_label(row.id, row.name))}' in page
        for cell in row.cells:
            assert _escaped(words(cell.text)) in page
    for statement in out.comparison.statements:
        assert _escaped(words(statement.text)) in page


def test_timeline_draws_courses_markers_series_and_date(example: dict[str, Any]) -> None:
    record = parse_record(
        {
            **example,
            "labs": [
                {"date": "2024-01-08", "test": "serum_m_protein", "value": 30, "unit": "g/L"},
                {"date": "2026-10-01", "test": "serum_m_protein", "value": 1.2, "unit": "g/dL"},
                {"date": "2026-10-01", "test": "flc_kappa", "value": 250, "unit": "mg/L"},
                {"date": "2026-10-01", "test": "flc_lambda", "value": 1.2, "unit": "mg/dL"},
            ],
        }
    )
    import datetime as dt

    svg = render_timeline(record, dt.date(2026, 11, 1))
    assert svg.count('class="course') == 2
    assert 'class="course ongoing"' in svg  # lenalidomide maintenance has no end
    assert "ASCT" in svg and svg.count('class="progression"') == 1
    assert "serum_m_protein 3 g/dL" in svg  # 30 g/L shown in the canonical g/dL
    assert "flc_lambda 12 mg/L" in svg
    assert "evaluation 2026-11-01" in svg
    assert "<script" not in svg


# ------------------------------------------------------------------ no external resources

URL = re.compile(r"https?://", re.IGNORECASE)


def test_templates_and_static_reference_no_external_url() -> None:
    root = resources.files("mmpath.web")
    checked = 0
    for folder in ("templates", "static"):
        for item in root.joinpath(folder).iterdir():
            text = item.read_text("utf-8")
            assert not URL.search(text), f"{folder}/{item.name} references an external URL"
            checked += 1
    assert checked >= 10


def test_rendered_pages_load_nothing_external(client: TestClient, example: dict[str, Any]) -> None:
    pages = [client.get("/").text, client.get("/about").text]
    pages += [
        client.post(p, data={"record": json.dumps(example)}).text
        for p in ("/evaluate", "/compare", "/summary")
    ]
    for page in pages:
        for attribute in re.findall(r'(?:src|href|action|formaction)="([^"]*)"', page):
            assert not URL.match(attribute), attribute
            assert not attribute.startswith("//"), attribute


def test_pathway_phases_and_current_step_are_shown(client: TestClient) -> None:
    """The dk-ndmm-te plan for a newly diagnosed patient: phases in order, induction current."""
    example = json.loads(
        (
            Path(__file__).parents[2] / "examples" / "newly-diagnosed-transplant-eligible.json"
        ).read_text("utf-8")
    )
    out = recommend(parse_record(example), "dk-ndmm-te").results[0]
    assert out.pathway is not None
    page = client.post("/evaluate", data={"record": json.dumps(example), "show": "dk-ndmm-te"}).text
    assert re.search(r'class="step step-current"\s+aria-current="step"', page)
    match = re.search(r'<ol class="pathway">(.*?)</ol>', page, re.DOTALL)
    assert match is not None
    steps_html = match.group(1)
    positions = [steps_html.index(step.phase) for step in out.pathway]
    assert positions == sorted(positions)
    assert "current-step" in page and "current step</span>" in page
    current = [o for o in out.options if o.current_step]
    assert current and all(f'id="opt-{o.id}' in page for o in current)


def test_a_failed_audit_write_is_shown_not_lost(
    client: TestClient, store: Store, example: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmpath.store import StoreError

    async def broken(*args: Any, **kwargs: Any) -> int:
        raise StoreError("database error while writing the audit trail (test): disk full")

    monkeypatch.setattr(store, "commit_audit_row_async", broken)
    response = client.post("/evaluate", data={"record": json.dumps(example)})
    assert response.status_code == 503
    assert "disk full" in response.text
    assert "tier-preferred" not in response.text  # no recommendation shown unrecorded


def test_summary_is_full_for_one_guideline_and_brief_for_the_others(
    client: TestClient, example: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmpath.api import service

    def two_guidelines(record: Any, guideline: str = "all", **kwargs: Any) -> Any:
        out = recommend(record, guideline, **kwargs)
        first = out.results[0]
        twin = first.model_copy(
            update={
                "guideline": first.guideline.model_copy(
                    update={"id": "zz-twin", "title": "Twin guideline"}
                )
            }
        )
        return out.model_copy(update={"results": [first, twin]})

    monkeypatch.setattr(service, "recommend", two_guidelines)
    first = recommend(parse_record(example), "all").results[0]
    page = client.post(
        "/summary", data={"record": json.dumps(example), "guideline": "zz-twin"}
    ).text
    assert "<h2>Twin guideline" in page
    assert f"<strong>{first.guideline.id}</strong>" in page  # the other, as one line
    assert first.guideline.title not in page
    preferred = ", ".join(o.id for o in first.options if o.tier == "preferred")
    assert f"preferred: {preferred}" in page
    result_page = client.post(
        "/evaluate", data={"record": json.dumps(example), "show": "zz-twin"}
    ).text
    assert '<h2 id="g-title">Twin guideline</h2>' in result_page
    assert 'name="guideline" value="zz-twin"' in result_page  # the summary button keeps it


def test_add_row_works_without_javascript(client: TestClient, example: dict[str, Any]) -> None:
    fields = [*form_fields(example), ("_add", "labs")]
    page = client.post("/edit", data=posted(fields)).text
    assert f'id="{F.field_id("labs[0].date")}"' in page
    assert f'id="{F.field_id("labs[1].date")}"' in page  # the blank row plus the added one
    assert f'id="{F.field_id("labs[2].date")}"' not in page
    assert f'value="{example["treatments"][0]["regimen"]}"' in page  # nothing typed is lost


def test_timeline_of_an_empty_record_and_of_events_after_the_decision_date() -> None:
    import datetime as dt

    empty = render_timeline(parse_record({"schema_version": "1"}), dt.date(2026, 11, 1))
    assert "no treatment recorded" in empty and "evaluation 2026-11-01" in empty
    # the record refuses entries after its own as_of; the renderer drawn at an earlier date
    # still leaves out what comes after that date
    later = parse_record(
        {
            "schema_version": "1",
            "as_of": "2027-03-01",
            "progressions": [{"date": "2027-01-01", "type": "clinical"}],
            "procedures": [{"type": "autologous_sct", "date": "2027-02-01"}],
        }
    )
    svg = render_timeline(later, dt.date(2026, 11, 1))
    assert 'class="progression"' not in svg and 'class="procedure"' not in svg


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [*sorted(F.input_names({})), "record", "_add", "labs[x].y", "asserted[0].fact"]
            ),
            st.text(max_size=12),
        ),
        max_size=8,
    )
)
def test_no_form_input_gives_a_server_error(
    client: TestClient, fields: list[tuple[str, str]]
) -> None:
    for path in ("/evaluate", "/edit", "/record.json"):
        response = client.post(path, data=posted(fields))
        assert response.status_code in (200, 422), (path, fields, response.text[-500:])


def test_download_name_is_ascii_whatever_the_identifier(client: TestClient) -> None:
    response = client.post(
        "/record.json", data={"record": json.dumps({"schema_version": "1", "id": "Ø²-patiënt"})}
    )
    assert response.headers["content-disposition"] == 'attachment; filename="-patint.json"'


def test_shipped_examples_open_in_the_form(client: TestClient) -> None:
    home = client.get("/").text
    assert 'href="/examples/first-relapse-on-lenalidomide.json"' in home
    page = client.get("/examples/first-relapse-on-lenalidomide.json")
    assert page.status_code == 200
    assert "example-first-relapse" in page.text and "Opened the example" in page.text
    assert client.get("/examples/..%2Fpyproject.toml").status_code == 404
    assert client.get("/examples/nope.json").status_code == 404


def test_text_the_database_cannot_store_comes_back_to_the_form(
    client: TestClient, example: dict[str, Any]
) -> None:
    """A NUL character passes record validation but not the store: the form shows why."""
    fields = form_fields({**example, "id": "bad\x00id"})
    response = client.post("/evaluate", data=posted(fields))
    assert response.status_code == 422
    assert "<!doctype html>" in response.text and "nothing was evaluated" in response.text
