"""Record validation: every problem names its field path and what was expected."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmpath.assess import Assessment
from mmpath.record.errors import RecordError
from mmpath.record.load import load_record, parse_record
from mmpath.service import recommend
from records import record_dict

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first-relapse-on-lenalidomide.json"


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RecordError) as caught:
        parse_record(data)
    return [str(p) for p in caught.value.problems]


def one_problem(data: dict[str, Any]) -> tuple[str, str]:
    found = problems(data)
    assert len(found) == 1, found
    path, _, message = found[0].partition(": ")
    return path, message


def test_number_as_date_names_the_field() -> None:
    path, message = one_problem(record_dict(treatments=[{"regimen": "VRd", "start": 20240101}]))
    assert path == "treatments[0].start"
    assert "YYYY-MM-DD" in message
    assert message.count("got") == 1, message  # the value is shown once


def test_unparsable_date() -> None:
    path, message = one_problem(record_dict(birth_date="1961-02-30"))
    assert path == "birth_date"
    assert "valid calendar date" in message


def test_unknown_regimen() -> None:
    path, message = one_problem(
        record_dict(treatments=[{"regimen": "XYZ-42", "start": "2024-01-01"}])
    )
    assert path == "treatments[0].regimen"
    assert "unknown regimen 'XYZ-42'" in message
    # a blinded trial drug written as free text (review r74): the message says how to write it
    assert "'investigational:blinded'" in message
    blinded = {"regimen": "blinded study drug or placebo", "start": "2024-01-01"}
    blinded["drugs"] = ["investigational:blinded"]
    assert parse_record(record_dict(treatments=[blinded])).treatments is not None


def test_unknown_regimen_name_with_drugs_is_the_course_label() -> None:
    """An unknown name is refused alone (above) but is the label when the drugs are given:
    the drugs decide, and the reasons name the course by its label."""
    record = parse_record(
        record_dict(
            treatments=[
                {
                    "regimen": "cyclophosphamide priming",
                    "drugs": ["cyclofosfamid"],
                    "setting": "other",
                    "start": "2024-01-01",
                    "end": "2024-01-01",
                }
            ]
        )
    )
    course = record.treatments[0]
    assert course.drug_set() == ("cyclophosphamide",)
    facts = Assessment(record)
    assert facts.courses[0].regimen == "cyclophosphamide priming"
    assert facts.exposed_to("cyclophosphamide")


def test_unknown_drug() -> None:
    data = record_dict(
        treatments=[{"drugs": ["lenalidomide", "unobtainium"], "start": "2024-01-01"}]
    )
    path, message = one_problem(data)
    assert path == "treatments[0].drugs[1]"
    assert "unknown drug 'unobtainium'" in message
    assert "'investigational:unobtainium'" in message  # how to write a trial drug


def test_a_supportive_drug_is_refused_with_what_it_is() -> None:
    """Review r65: denosumab and zoledronic acid in the treatment history were refused with
    only "expected an INN"; the message now says they are not myeloma therapy."""
    path, message = one_problem(
        record_dict(treatments=[{"drugs": ["zoledronic acid"], "start": "2024-01-01"}])
    )
    assert path == "treatments[0].drugs[0]"
    assert "supportive care, not anti-myeloma therapy" in message


def test_unknown_lab_test() -> None:
    path, message = one_problem(
        record_dict(labs=[{"date": "2026-01-01", "test": "ferritin", "value": 1, "unit": "ug/L"}])
    )
    assert path == "labs[0].test"
    assert "serum_m_protein" in message


def test_unknown_unit() -> None:
    path, message = one_problem(
        record_dict(
            labs=[{"date": "2026-01-01", "test": "serum_m_protein", "value": 1, "unit": "mg/L"}]
        )
    )
    assert path == "labs[0].unit"
    assert "g/dL" in message and "g/L" in message


def test_end_before_start() -> None:
    data = record_dict(
        treatments=[
            {"regimen": "VRd", "start": "2024-01-01", "end": "2024-05-01"},
            {"regimen": "Kd", "start": "2025-01-01", "end": "2024-12-01"},
        ]
    )
    path, message = one_problem(data)
    assert path == "treatments[1].end"
    assert "before start" in message


def test_prednisone_and_prednisolone_agree_with_a_regimen_name() -> None:
    # VMP is written with either steroid; the course keeps the one it was given
    course = {"regimen": "VMP", "start": "2024-01-08", "end": "2024-06-01"}
    drugs = ["bortezomib", "melphalan", "prednisolone"]
    record = parse_record(record_dict(treatments=[{**course, "drugs": drugs}]))
    assert record.treatments is not None and record.treatments[0].drugs == drugs
    # another steroid still disagrees
    path, _ = one_problem(
        record_dict(treatments=[{**course, "drugs": ["bortezomib", "melphalan", "dexamethasone"]}])
    )
    assert path == "treatments[0].drugs"


def test_a_corticosteroid_named_on_one_side_only_agrees_with_the_regimen() -> None:
    # dexamethasone listed with a regimen whose name leaves it out (premedication: "Tec-DR",
    # review r41-10), or left out of a regimen that has it ("KRd" as K and R): the same
    # regimen; the course takes the catalogue's drugs. Another anti-myeloma drug does not.
    tec = {"regimen": "Tec-DR", "start": "2024-01-08"}
    drugs = ["teclistamab", "daratumumab", "lenalidomide", "dexamethasone"]
    parse_record(record_dict(treatments=[{**tec, "drugs": drugs}]))
    krd = {"regimen": "KRd", "start": "2024-01-08", "drugs": ["carfilzomib", "lenalidomide"]}
    record = parse_record(record_dict(treatments=[krd]))
    assert record.treatments is not None
    assert set(record.treatments[0].drug_set()) == {"carfilzomib", "lenalidomide", "dexamethasone"}
    path, _ = one_problem(
        record_dict(treatments=[{**krd, "drugs": ["carfilzomib", "pomalidomide"]}])
    )
    assert path == "treatments[0].drugs"


def test_a_stop_reason_without_an_end_is_refused() -> None:
    # an absent end means "still running": a course that stopped needs its last day, or its
    # drugs would be read as given up to as_of (refractory to a years-old induction)
    for reason in ("completed", "toxicity", "progression", "patient_choice", "other"):
        path, message = one_problem(
            record_dict(
                treatments=[{"regimen": "VTD", "start": "2021-10-04", "stop_reason": reason}]
            )
        )
        assert path == "treatments[0].end", reason
        assert "still running" in message and reason in message
    # a running course without a stop reason is accepted
    parse_record(record_dict(treatments=[{"regimen": "VTD", "start": "2021-10-04"}]))


def test_unknown_field() -> None:
    path, message = one_problem(record_dict(favourite_colour="blue"))
    assert path == "favourite_colour"
    assert "unknown field" in message


def test_unknown_nested_field() -> None:
    path, _ = one_problem(record_dict(cytogenetics={"del_17q": True}))
    assert path == "cytogenetics.del_17q"


def test_every_problem_is_reported() -> None:
    data = record_dict(
        ecog=7,
        treatments=[{"regimen": "XYZ-42", "start": "2024-01-01"}],
        labs=[{"date": "2026-01-01", "test": "calcium", "value": 2.5, "unit": "mg/L"}],
    )
    paths = sorted(p.partition(": ")[0] for p in problems(data))
    assert paths == ["ecog", "labs[0].unit", "treatments[0].regimen"]


def test_missing_schema_version() -> None:
    path, message = one_problem({"id": "x"})
    assert path == "schema_version"
    assert "required" in message


def test_asserted_unknown_fact_names_the_path() -> None:
    patient = parse_record(record_dict(asserted={"lenalidomide_refractory": True, "x": True}))
    with pytest.raises(RecordError) as caught:
        recommend(patient, "nl-rrmm")
    assert [p.path for p in caught.value.problems] == ["asserted.x"]
    with pytest.raises(RecordError):
        Assessment(patient)


def test_asserted_value_must_be_boolean() -> None:
    path, _ = one_problem(record_dict(asserted={"frail": "yes"}))
    assert path == "asserted.frail"


def test_yaml_record_loads_like_json(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text("utf-8"))
    as_yaml = tmp_path / "record.yaml"
    as_yaml.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    unquoted = tmp_path / "unquoted.yml"  # YAML dates without quotes become date objects
    text = yaml.safe_dump(data, sort_keys=False)
    unquoted.write_text(re.sub(r"'(\d{4}-\d{2}-\d{2})'", r"\1", text), "utf-8")
    assert "as_of: 2026-11-01" in unquoted.read_text("utf-8")
    from_json = load_record(EXAMPLE)
    assert load_record(as_yaml) == from_json
    assert load_record(unquoted) == from_json
    assert recommend(load_record(unquoted), "nl-rrmm") == recommend(from_json, "nl-rrmm")


def test_invalid_json_names_the_position(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": "1",', "utf-8")
    with pytest.raises(RecordError) as caught:
        load_record(broken)
    assert "line 1" in str(caught.value)


def test_dates_outside_a_plausible_range_are_rejected_with_their_path() -> None:
    import pytest

    from mmpath.record.errors import RecordError
    from mmpath.record.load import parse_record

    with pytest.raises(RecordError) as caught:
        parse_record({"schema_version": "1", "as_of": "9999-12-31", "birth_date": "1850-01-01"})
    paths = {p.path for p in caught.value.problems}
    assert paths == {"as_of", "birth_date"}


def test_a_biochemical_progression_with_crab_features_is_rejected() -> None:
    import pytest

    from mmpath.record.errors import RecordError
    from mmpath.record.load import parse_record

    record = {
        "schema_version": "1",
        "progressions": [
            {"date": "2026-01-01", "type": "biochemical", "features": ["rapid_rise"]},
            {"date": "2026-02-01", "type": "biochemical", "features": ["anemia"]},
        ],
    }
    with pytest.raises(RecordError) as caught:
        parse_record(record)
    assert [p.path for p in caught.value.problems] == ["progressions[1].features"]


AFTER = "2026-12-01"  # records.AS_OF is 2026-11-01


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"treatments": [{"regimen": "VRd", "start": AFTER}]}, "treatments[0].start"),
        (
            {"treatments": [{"regimen": "VRd", "start": "2026-01-01", "end": AFTER}]},
            "treatments[0].end",
        ),
        ({"procedures": [{"type": "autologous_sct", "date": AFTER}]}, "procedures[0].date"),
        ({"progressions": [{"date": AFTER, "type": "clinical"}]}, "progressions[0].date"),
        (
            {"labs": [{"date": AFTER, "test": "creatinine", "value": 1.0, "unit": "mg/dL"}]},
            "labs[0].date",
        ),
        ({"mrd": [{"date": AFTER, "result": "negative"}]}, "mrd[0].date"),
        ({"diagnosis": {"date": AFTER}}, "diagnosis.date"),
        ({"cytogenetics": {"date": AFTER, "del_17p": False}}, "cytogenetics.date"),
        ({"birth_date": AFTER}, "birth_date"),
    ],
)
def test_every_dated_entry_after_as_of_is_refused(fields: dict[str, Any], path: str) -> None:
    found, message = one_problem(record_dict(**fields))
    assert found == path
    assert "after the decision date 2026-11-01" in message


def test_entries_after_as_of_are_all_listed() -> None:
    found = problems(
        record_dict(
            treatments=[{"regimen": "VRd", "start": "2026-01-01", "end": AFTER}],
            progressions=[{"date": AFTER, "type": "biochemical"}],
        )
    )
    assert [p.partition(":")[0] for p in found] == ["treatments[0].end", "progressions[0].date"]


def test_without_as_of_the_decision_date_is_today() -> None:
    import datetime as dt

    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    data = {"schema_version": "1", "progressions": [{"date": tomorrow, "type": "clinical"}]}
    path, message = one_problem(data)
    assert path == "progressions[0].date"
    assert "as_of is absent" in message


@pytest.mark.parametrize(
    ("test", "value", "unit", "hint"),
    [
        ("creatinine", 1.1, "µmol/L", "did you mean mg/dL?"),
        ("creatinine", 110, "mg/dL", "did you mean µmol/L?"),
        ("albumin", 3.5, "g/L", "did you mean g/dL?"),
        ("albumin", 35, "g/dL", "did you mean g/L?"),
        ("calcium", 2.4, "mg/dL", "did you mean mmol/L?"),
        ("calcium", 9.6, "mmol/L", "did you mean mg/dL?"),
        ("hemoglobin", 110, "g/dL", "did you mean g/L?"),
        ("hemoglobin", 11, "g/L", "did you mean g/dL?"),
        ("serum_m_protein", 25, "g/dL", "did you mean g/L?"),
        ("urine_m_protein", 800, "g/24h", "did you mean mg/24h?"),
    ],
)
def test_implausible_lab_values_name_the_field_and_the_likely_unit(
    test: str, value: float, unit: str, hint: str
) -> None:
    labs = [{"date": "2026-10-01", "test": test, "value": value, "unit": unit}]
    path, message = one_problem(record_dict(labs=labs))
    assert path == "labs[0].value"
    assert "outside the plausible range" in message and message.endswith(hint), message


@pytest.mark.parametrize(
    ("test", "value", "unit"),
    [
        ("creatinine", 0, "mg/dL"),  # creatinine must be > 0
        ("beta2_microglobulin", 0, "mg/L"),
        ("circulating_plasma_cells", 120, "%"),
        ("creatinine_clearance", 900, "mL/min"),
    ],
)
def test_values_no_unit_explains_are_refused(test: str, value: float, unit: str) -> None:
    labs = [{"date": "2026-10-01", "test": test, "value": value, "unit": unit}]
    path, message = one_problem(record_dict(labs=labs))
    assert path == "labs[0].value"
    assert "did you mean" not in message


@pytest.mark.parametrize(
    ("test", "value", "unit"),
    [
        ("creatinine", 1.1, "mg/dL"),
        ("creatinine", 97, "µmol/L"),
        ("serum_m_protein", 0, "g/dL"),
        ("flc_kappa", 45000, "mg/L"),
        ("calcium", 2.4, "mmol/L"),
        ("hemoglobin", 7.2, "mmol/L"),
    ],
)
def test_plausible_values_pass(test: str, value: float, unit: str) -> None:
    parse_record(
        record_dict(labs=[{"date": "2026-10-01", "test": test, "value": value, "unit": unit}])
    )


def test_weight_height_and_dates_before_birth() -> None:
    path, message = one_problem(record_dict(height_cm=1.75))
    assert path == "height_cm" and message.endswith(
        "did you mean metres (height_cm is in centimetres)?"
    )
    path, message = one_problem(record_dict(weight_kg=7))
    assert path == "weight_kg" and "plausible range" in message
    path, message = one_problem(
        record_dict(birth_date="1960-01-01", diagnosis={"date": "1959-05-01"})
    )
    assert path == "diagnosis.date" and "before birth_date" in message


def test_an_ambiguous_regimen_asks_for_the_drugs() -> None:
    path, message = one_problem(record_dict(treatments=[{"regimen": "BVD", "start": "2025-01-01"}]))
    assert path == "treatments[0].regimen"
    assert "ambiguous" in message and "bendamustine" in message and "belantamab" in message
    assert "give the course's drugs" in message
    drugs = ["bendamustine", "bortezomib", "dexamethasone"]
    record = parse_record(
        record_dict(treatments=[{"regimen": "BVD", "drugs": drugs, "start": "2025-01-01"}])
    )
    assert record.treatments is not None
    assert record.treatments[0].drug_set() == tuple(drugs)
    path, message = one_problem(
        record_dict(
            treatments=[{"regimen": "DVD", "drugs": ["lenalidomide"], "start": "2025-01-01"}]
        )
    )
    assert path == "treatments[0].drugs" and "match no reading" in message


@pytest.mark.parametrize("doxorubicin", ["doxorubicin", "liposomal doxorubicin", "Caelyx"])
def test_a_formulation_matches_its_substance_in_an_ambiguous_name(doxorubicin: str) -> None:
    """The historical DVD written with plain "doxorubicin" is the liposomal reading, not an
    unknown one (class: a real history refused); the course keeps the drugs it gives and is
    never read as daratumumab - bortezomib."""
    given = [doxorubicin, "vincristine", "dexamethasone"]
    record = parse_record(
        record_dict(treatments=[{"regimen": "DVD", "drugs": given, "start": "2006-03-13"}])
    )
    assert record.treatments is not None
    drugs = record.treatments[0].drug_set()
    assert "daratumumab" not in drugs and "bortezomib" not in drugs and "vincristine" in drugs


@pytest.mark.parametrize(
    ("age", "first_date", "refused"),
    [
        (3, "2021-12-01", True),  # diagnosed before the patient was born
        (4, "2022-10-16", False),  # born 2021-10-16 at the latest
        (4, "2021-10-16", False),  # the earliest birth date compatible with age 4
        (4, "2021-10-15", True),
        (60, "2021-12-01", False),
    ],
)
def test_age_incompatible_with_the_dated_history_names_age(
    age: int, first_date: str, refused: bool
) -> None:
    """Class: with ``age`` instead of ``birth_date``, nothing may predate the earliest birth
    date the age allows (the check ``birth_date`` already has)."""
    data = record_dict(as_of="2026-10-15", age=age, diagnosis={"date": first_date})
    if refused:
        path, message = one_problem(data)
        assert path == "age" and "diagnosis.date" in message, message
    else:
        assert parse_record(data).age == age


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2024", "the date is incomplete"),
        ("2024-03", "the date is incomplete"),
        ("2024-03-", "the date is incomplete"),
        ("2024-3-1", "month and day need two digits"),
        ("14-03-2024", "the year comes first"),
        ("14.03.2024", "the year comes first"),
        ("20244-01-01", "the year has more than four digits"),
    ],
)
def test_a_malformed_date_says_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(RecordError) as error:
        parse_record({"schema_version": "1", "treatments": [], "birth_date": typed})
    [problem] = error.value.problems
    assert problem.path == "birth_date"
    assert problem.message.startswith("expected a date YYYY-MM-DD: " + says), problem.message


def test_an_asct_before_any_treatment_course_is_refused_at_its_date() -> None:
    # review r75-07: an ASCT dated before the induction (a mistyped date) placed a patient due
    # for HDT after a transplant, so the HDT was not offered
    induction = {"regimen": "D-VRd", "setting": "induction", "start": "2025-11-24"}
    procedures = [
        {"type": "autologous_sct", "date": "2025-11-20"},
        {"type": "stem_cell_collection", "date": "2026-03-10"},
    ]
    path, message = one_problem(
        record_dict(as_of="2026-03-25", treatments=[induction], procedures=procedures)
    )
    assert path == "procedures[0].date"
    assert "before any treatment course (the first starts 2025-11-24)" in message
    path, message = one_problem(
        record_dict(as_of="2026-03-25", treatments=[], procedures=procedures)
    )
    assert (path, "treatments lists none" in message) == ("procedures[0].date", True)
    # history not recorded: nothing to contradict; an ASCT after the induction is as usual
    parse_record(record_dict(as_of="2026-03-25", procedures=procedures))
    later = [{"type": "autologous_sct", "date": "2026-03-20"}, procedures[1]]
    parse_record(record_dict(as_of="2026-03-25", treatments=[induction], procedures=later))
