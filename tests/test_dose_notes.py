"""Kidney dose notes from product labels: dialysis is the lowest band, the label follows the
region, maintenance never gets a relapse starting dose, every note names its label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mmpath.assess import Assessment
from mmpath.record.load import parse_record
from mmpath.service import recommend

VIGNETTES = Path(__file__).parent / "vignettes"


def nl_record(**changes: Any) -> dict[str, Any]:
    path = VIGNETTES / "nl-rrmm" / "24-crcl-30-60-cockcroft-gault-umol.json"
    record: dict[str, Any] = json.loads(path.read_text("utf-8"))["record"]
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def dosing(record: dict[str, Any], option: str) -> dict[str, Any]:
    result = recommend(parse_record(record), "nl-rrmm").results[0]
    found = next(o for o in result.options if o.id == option)
    return {d.id: d for d in found.dosing}


def test_dialysis_is_the_lowest_band_whatever_cockcroft_gault_gives() -> None:
    record = nl_record(comorbidities=["dialysis"])  # creatinine 110 µmol/L: CG 39 mL/min
    facts = Assessment(parse_record(record))
    assert facts.value("creatinine_clearance") is None
    assert "dialysis" in facts.get("creatinine_clearance").why
    assert facts.value("kidney_function") == "dialysis"
    assert set(dosing(record, "DRd")) == {"lenalidomide-dialysis"}


def test_every_label_note_names_its_label_region_version_and_setting() -> None:
    note = dosing(nl_record(), "DRd")["lenalidomide-crcl-30-50"]
    assert note.provenance == "label"
    assert note.severity == "dose"
    assert note.source is not None
    assert "Revlimid" in note.source and "EU (EMA)" in note.source and "US (FDA)" in note.source
    assert "version:" in note.source and "setting: starting dose" in note.source
    assert note.sources and note.sources[0].document.endswith("clinical-definitions.md")


def test_without_a_region_the_50_to_60_band_is_not_settled() -> None:
    record = nl_record(
        region=None,
        labs=[
            {"date": "2026-08-20", "test": "creatinine_clearance", "value": 55, "unit": "mL/min"}
        ],
    )
    found = dosing(record, "DRd")
    assert set(found) == {"lenalidomide-kidney-function-unknown"}
    assert found["lenalidomide-kidney-function-unknown"].applies is None
    assert "label_region" in found["lenalidomide-kidney-function-unknown"].requires


def test_japan_gets_both_labels_and_a_prompt_to_check_its_own() -> None:
    record = nl_record(
        region="JP",
        labs=[
            {"date": "2026-08-20", "test": "creatinine_clearance", "value": 55, "unit": "mL/min"}
        ],
    )
    assert set(dosing(record, "DRd")) == {"lenalidomide-crcl-50-60-other-label"}


def test_every_dose_note_quote_is_in_the_definitions_it_cites() -> None:
    """The quotes of catalogue/data/dose_notes.yaml restate clinical-definitions.md word for
    word (line breaks aside), as pack quotes restate their sources."""
    definitions = Path(__file__).resolve().parents[2] / "shared" / "reference"
    text = " ".join((definitions / "clinical-definitions.md").read_text("utf-8").split())
    data = yaml.safe_load(
        (
            Path(__file__).resolve().parents[1] / "src/mmpath/catalogue/data/dose_notes.yaml"
        ).read_text("utf-8")
    )
    for name, quote in data["quotes"].items():
        assert " ".join(quote.split()) in text, name


def test_on_dialysis_carfilzomib_and_bortezomib_are_given_after_the_session() -> None:
    """Round-5d review (review/es-len-refractory, review/nl-rrmm 'dialysis' cases): no dose
    change for kidney function (clinical-definitions.md), but the timing the labels give."""
    notes = dosing(nl_record(comorbidities=["dialysis"]), "Kd")
    assert "after the haemodialysis session" in notes["carfilzomib-dialysis"].text
    assert notes["carfilzomib-dialysis"].provenance == "label"
    assert "carfilzomib-dialysis" not in dosing(nl_record(comorbidities=[]), "Kd")


def test_an_undecided_dose_gives_the_labels_dose_for_each_case() -> None:
    """CrCl 26 mL/min with dialysis not recorded: the lenalidomide dose is not settled, and
    the note gives both cases (15 mg every 48 h without dialysis, 5 mg after dialysis on
    it) instead of only 'not settled' (review r40-12). Without a clearance the cases would
    not read right: the general prompt stays."""
    low = nl_record(
        comorbidities=None,
        labs=[
            {"date": "2026-08-20", "test": "creatinine_clearance", "value": 26, "unit": "mL/min"}
        ],
    )
    note = dosing(low, "DRd")["lenalidomide-kidney-function-unknown"]
    assert note.applies is None and note.requires == ["dialysis"]
    assert "Not settled (dialysis unknown)" in note.text
    assert "26 mL/min, no dialysis: lenalidomide starting dose 15 mg every 48 hours" in note.text
    assert "5 mg once daily, after dialysis" in note.text
    unknown = nl_record(comorbidities=None, labs=[], weight_kg=None)
    text = dosing(unknown, "DRd")["lenalidomide-kidney-function-unknown"].text
    assert "depends on kidney function and the label that applies" in text
