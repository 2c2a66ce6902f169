"""Investigational drugs (``investigational:<code>``): a course and a line, no drug class,
a warning on every class-level fact; a plain trial code is still refused
(docs/record-validation.md, review case be-rrmm/56)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.service import recommend

CASE = (
    Path(__file__).resolve().parents[1]
    / "review"
    / "be-rrmm"
    / "56-r6-refractory-to-all-trial-code-selinexor-teclistamab.json"
)
CLASS_FACTS = [f"{c}_{k}" for c in ("pi", "imid", "anti_cd38") for k in ("exposed", "refractory")]


def record(code: str) -> dict[str, Any]:
    """The review case's record (9 courses, the 7th a trial drug) with ``code`` for it."""
    data = copy.deepcopy(json.loads(CASE.read_text("utf-8"))["record"])
    trial = data["treatments"][6]
    assert trial["drugs"] == ["cc-92480", "dexamethasone"]
    trial["drugs"] = [code, "dexamethasone"]
    return data


def test_a_plain_trial_code_is_refused() -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(record("cc-92480"))
    assert [p.path for p in caught.value.problems] == ["treatments[6].drugs[0]"]


@pytest.mark.parametrize("name", ["investigational:", "investigational:   ", "investigational"])
def test_the_prefix_needs_a_code(name: str) -> None:
    with pytest.raises(RecordError):
        parse_record(record(name))


def test_catalogue_names_investigational_drugs_in_lower_case() -> None:
    catalogue = load_catalogue()
    assert catalogue.drug("investigational:CC-92480 ") == "investigational:cc-92480"
    assert catalogue.drug("Investigational: cc-92480") == "investigational:cc-92480"
    assert catalogue.classes_of("investigational:cc-92480") == frozenset()
    assert not catalogue.is_steroid("investigational:cc-92480")
    with pytest.raises(KeyError):  # any other unknown name is still a defect
        catalogue.classes_of("unobtainium")


def test_the_trial_course_counts_as_a_line_and_in_no_class() -> None:
    facts = Assessment(parse_record(record("investigational:CC-92480")))
    # IMWG lines: VTD + lenalidomide maintenance, DVd + daratumumab maintenance, PCD, Kd,
    # the trial drug (line 5), Sd, teclistamab on which the patient progresses: 7 prior
    assert facts.value("prior_lines") == 7
    assert "line 5 from 2023-02-20" in facts.get("prior_lines").why
    assert [c.start.isoformat() for c in facts.exposed_to("investigational:cc-92480")] == [
        "2023-02-20"
    ]
    for name in CLASS_FACTS:
        warnings = facts.get(name).warnings
        assert any("investigational drug cc-92480" in w for w in warnings), name


def test_no_warning_without_an_investigational_drug() -> None:
    data = record("selinexor")
    facts = Assessment(parse_record(data))
    for name in CLASS_FACTS:
        assert not any("investigational" in w for w in facts.get(name).warnings)


def test_the_recommendation_lists_it_and_warns() -> None:
    out = recommend(parse_record(record("investigational:CC-92480")), "be-rrmm")
    assert "investigational:cc-92480" in out.summary["exposed"].model_dump_json()
    shown = out.results[0].facts
    warned = [n for n in CLASS_FACTS if n in shown and shown[n].warnings]
    assert warned, "the pack shows class facts, each with the warning"


def test_the_web_form_suggests_the_prefix() -> None:
    from mmpath.web.form import datalists

    assert "investigational:" in datalists()["drugs"]
