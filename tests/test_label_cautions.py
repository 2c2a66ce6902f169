"""Product-label cautions by comorbidity apply in every pack (engine.label_cautions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmpath.recommendation import OptionOut
from mmpath.record.load import parse_record
from mmpath.service import recommend

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first-relapse-on-lenalidomide.json"


def options(comorbidities: list[str] | None, guideline: str) -> dict[str, OptionOut]:
    record: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    if comorbidities is None:
        del record["comorbidities"]
    else:
        record["comorbidities"] = comorbidities
    result = recommend(parse_record(record), guideline).results[0]
    return {o.id: o for o in result.options}


def test_copd_flags_daratumumab_in_a_guideline_that_does_not_mention_the_lungs() -> None:
    dvd = options(["copd"], "be-rrmm")["DVd"]
    caution = next(c for c in dvd.cautions if c.id == "label-daratumumab-copd")
    assert caution.applies is True and caution.provenance == "label"
    assert caution.source is not None and caution.source.startswith("Darzalex labels")
    assert "not verified by mmpath" in caution.source
    assert "bronchodilators" in caution.text


def test_heart_failure_flags_carfilzomib_and_says_it_argues_against() -> None:
    kd = options(["heart_failure"], "es-len-refractory")["Kd"]
    caution = next(c for c in kd.cautions if c.id == "label-carfilzomib-heart-failure")
    assert caution.severity == "contraindicating"
    assert kd.cautions[0].severity == "contraindicating"  # most severe first


def test_the_guidelines_own_caution_on_the_same_comorbidity_stands_alone() -> None:
    kd = options(["heart_failure", "hypertension"], "nl-rrmm")["Kd"]
    ids = {c.id for c in kd.cautions}
    assert {"carfilzomib-heart-failure", "carfilzomib-blood-pressure"} <= ids  # seed 000
    assert not any(i.startswith("label-carfilzomib") for i in ids)


def test_no_comorbidity_no_label_caution_and_unknown_is_a_check() -> None:
    assert not any(c.id.startswith("label-") for c in options([], "be-rrmm")["DVd"].cautions)
    dvd = options(None, "be-rrmm")["DVd"]
    unknown = [c for c in dvd.cautions if c.id == "label-daratumumab-copd"]
    assert unknown and unknown[0].applies is None and unknown[0].requires == ["copd"]


def _relapse(guideline: str, **changes: Any) -> dict[str, OptionOut]:
    """The example (progression on lenalidomide maintenance) with ``changes`` applied."""
    record: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    record.update(changes)
    result = recommend(parse_record(record), guideline).results[0]
    return {o.id: o for o in result.options}


def test_cisplatin_regimens_carry_the_labels_renal_contraindication_first() -> None:
    # CrCl about 39 mL/min (68-year-old woman, 60 kg, creatinine 1.3 mg/dL): review es-r17
    low = {
        "birth_date": "1958-03-15",
        "weight_kg": 60,
        "labs": [{"date": "2026-10-20", "test": "creatinine", "value": 1.3, "unit": "mg/dL"}],
    }
    for guideline, oid in [("es-len-refractory", "DCEP"), ("es-len-refractory", "PACE")]:
        option = _relapse(guideline, **low)[oid]
        caution = next(c for c in option.cautions if c.id == "label-cisplatin-kidney")
        assert caution.applies is True and caution.severity == "contraindicating"
        assert caution.provenance == "label" and "kidney" in caution.text.lower()
        assert "creatinine clearance 39" in caution.text
        assert option.cautions[0].severity == "contraindicating"
    normal = dict(
        low, labs=[{"date": "2026-10-20", "test": "creatinine", "value": 0.7, "unit": "mg/dL"}]
    )
    dcep = _relapse("es-len-refractory", **normal)["DCEP"]
    assert not any(c.id == "label-cisplatin-kidney" for c in dcep.cautions)
    # dialysis: the lowest band whatever the Cockcroft–Gault value
    dialysis = _relapse("es-len-refractory", comorbidities=["dialysis"], **normal)["DCEP"]
    assert any(
        c.id == "label-cisplatin-kidney" and c.applies is True and "dialysis" in c.text
        for c in dialysis.cautions
    )


def test_asthma_flags_daratumumab_and_says_the_label_names_copd() -> None:
    dvd = options(["asthma"], "be-rrmm")["DVd"]
    caution = next(c for c in dvd.cautions if c.id == "label-daratumumab-asthma")
    assert caution.applies is True and caution.provenance == "label"
    assert "asthma" in caution.text and "COPD" in caution.text
    assert not any(c.id == "label-daratumumab-copd" for c in dvd.cautions)
    copd = options(["copd"], "be-rrmm")["DVd"]
    assert any(c.id == "label-daratumumab-copd" and "lung" in c.text for c in copd.cautions)


def test_heart_failure_flags_every_doxorubicin_regimen() -> None:
    """Round-5 review (review/es-len-refractory/38): a heart-failure patient was offered PACE
    and VdT-PACE without a word on the anthracycline."""
    offered = options(["heart_failure"], "es-len-refractory")
    with_doxorubicin = [o for o in offered.values() if "doxorubicin" in (o.drugs or [])]
    assert {"PACE", "VDT-PACE"} <= {o.id for o in with_doxorubicin}
    for option in with_doxorubicin:
        caution = next(c for c in option.cautions if c.id == "label-doxorubicin-heart-failure")
        assert caution.severity == "contraindicating" and caution.applies is True
        assert caution.provenance == "label" and "myocardial insufficiency" in caution.text
    assert not any(
        c.id.startswith("label-doxorubicin")
        for o in options([], "es-len-refractory").values()
        for c in o.cautions
    )


def test_heart_disease_flags_panobinostat_in_every_guideline_that_offers_it() -> None:
    """The same class as doxorubicin: a cardiotoxic drug no guideline text cautions about."""
    for guideline in ("nl-rrmm", "be-rrmm", "jp-rrmm"):
        for comorbidity in ("heart_failure", "ischemic_heart_disease", "arrhythmia"):
            panvd = options([comorbidity], guideline)["PanVd"]
            caution = next(
                c for c in panvd.cautions if c.id == "label-panobinostat-cardiac-disease"
            )
            assert caution.severity == "contraindicating" and caution.applies is True
            assert panvd.cautions[0].severity == "contraindicating"


def test_liver_impairment_and_hepatitis_b_are_flagged_on_the_drugs_whose_labels_name_them() -> None:
    offered = options(["liver_impairment", "hbv"], "jp-rrmm")
    ids = {name: {c.id for c in o.cautions if c.applies} for name, o in offered.items()}
    assert {"label-panobinostat-liver", "label-bortezomib-liver"} <= ids["PanVd"]
    assert "label-ixazomib-liver" in ids["IRd"]
    assert "label-daratumumab-hbv" in ids["DPd"]
    assert not any(i.endswith("-liver") or i.endswith("-hbv") for i in ids["KPd"])
    hbv = next(c for c in offered["DPd"].cautions if c.id == "label-daratumumab-hbv")
    assert "reactivation" in hbv.text and hbv.provenance == "label"


def test_clarithromycin_in_arrhythmia_and_carmustine_in_lung_disease() -> None:
    # a second relapse after Kd, for which be-rrmm offers pomalidomide + clarithromycin
    case = (
        Path(__file__).resolve().parents[1]
        / "review"
        / "be-rrmm"
        / "18-second-relapse-after-kd.json"
    )
    record = {**json.loads(case.read_text("utf-8"))["record"], "comorbidities": ["arrhythmia"]}
    result = recommend(parse_record(record), "be-rrmm").results[0]
    clapd = next(o for o in result.options if "clarithromycin" in (o.drugs or []))
    assert clapd.cautions[0].id == "label-clarithromycin-arrhythmia"
    assert clapd.cautions[0].applies is True and clapd.cautions[0].severity == "contraindicating"
    es = options(["copd"], "es-len-refractory")
    beam = next(o for o in es.values() if "carmustine" in (o.drugs or []))
    caution = next(c for c in beam.cautions if c.id == "label-carmustine-lung")
    assert caution.applies is True and caution.severity == "contraindicating"
