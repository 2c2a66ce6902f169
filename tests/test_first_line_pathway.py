"""First-line pathway (dk-ndmm-te): high-risk boundary, baseline labs, merged details, and
the human timeline view. Clinical behaviour as a whole is in tests/vignettes/dk-ndmm-te."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from mmpath.assess import Assessment
from mmpath.present.text import render
from mmpath.record.load import parse_record
from mmpath.service import recommend

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": "1",
        "as_of": "2026-04-28",
        "age": 55,
        "treatments": [],  # untreated: every lab so far is a baseline (diagnosis) value
        "cytogenetics": {
            "del_17p": False,
            "t_4_14": False,
            "t_14_16": False,
            "t_14_20": False,
            "gain_1q": False,
            "amp_1q": False,
            "del_1p": False,
            "del_1p_biallelic": False,
            "tp53_mutation": False,
        },
        "labs": [
            {"date": "2026-04-20", "test": "beta2_microglobulin", "value": 3.0, "unit": "mg/L"}
        ],
    }
    record.update(changes)
    return record


def _del17p(fraction: float) -> Assessment:
    cyto = dict(_record()["cytogenetics"], del_17p=True, del_17p_fraction=fraction)
    return Assessment(parse_record(_record(cytogenetics=cyto)))


@pytest.mark.parametrize(
    ("fraction", "high_risk", "boundary"),
    [
        (0.19, False, False),
        (0.20, False, True),
        (0.205, True, True),
        (0.21, True, True),
        (0.22, True, False),
    ],
)
def test_del17p_threshold_is_strict_and_the_boundary_is_shown(
    fraction: float, high_risk: bool, boundary: bool
) -> None:
    facts = _del17p(fraction)
    fact = facts.get("high_risk_imwg2025")
    assert fact.value is high_risk
    assert facts.value("del17p_at_threshold_boundary") is boundary
    assert ("≥ 20 %" in fact.why) is boundary


def test_unknown_cytogenetics_is_unknown_not_standard_risk() -> None:
    facts = Assessment(parse_record(_record(cytogenetics=None)))
    assert facts.value("high_risk_imwg2025") is None
    assert facts.value("high_risk_dk") is None


def test_unknown_cytogenetics_with_b2m_criterion_is_high_risk() -> None:
    labs = [
        {"date": "2026-04-20", "test": "beta2_microglobulin", "value": 5.5, "unit": "mg/L"},
        {"date": "2026-04-20", "test": "creatinine", "value": 1.1, "unit": "mg/dL"},
    ]
    facts = Assessment(parse_record(_record(cytogenetics=None, labs=labs)))
    assert facts.value("high_risk_imwg2025") is True


def test_risk_labs_are_taken_before_first_line_treatment() -> None:
    labs = [
        {"date": "2026-04-20", "test": "circulating_plasma_cells", "value": 4.0, "unit": "%"},
        {"date": "2026-09-01", "test": "circulating_plasma_cells", "value": 0.0, "unit": "%"},
    ]
    treatments = [{"regimen": "D-VRd", "setting": "induction", "start": "2026-05-01"}]
    facts = Assessment(parse_record(_record(as_of="2026-09-10", labs=labs, treatments=treatments)))
    assert facts.value("high_risk_dk_additions") is True


def test_merged_options_keep_every_duration() -> None:
    record = parse_record(json.loads((EXAMPLES / "after-asct-high-risk.json").read_text("utf-8")))
    result = recommend(record, "dk-ndmm-te").results[0]
    dual = next(o for o in result.options if o.id == "D-R")
    assert dual.details is not None
    assert "2 years" in dual.details and "until progression" in dual.details


def test_text_view_shows_the_plan_with_quotes_in_both_languages() -> None:
    path = EXAMPLES / "newly-diagnosed-transplant-eligible.json"
    rec = recommend(parse_record(json.loads(path.read_text("utf-8"))), "dk-ndmm-te")
    console = Console(record=True, width=220, color_system=None)
    render(console, rec)
    text = console.export_text()
    assert "▶ │ INDUCTION — current" in text
    assert "MAINTENANCE — upcoming" in text
    assert "D-VRd (daratumumab, bortezomib, lenalidomid, dexamethason) – 4 induktionsserier" in text
    assert (
        "D-VRd (daratumumab, bortezomib, lenalidomide, dexamethasone) – 4 induction cycles" in text
    )
    assert "→ D-VRd" in text  # the current step is marked
    assert "→ lenalidomide" not in text  # an upcoming phase is not


COMPLETE = {
    "extramedullary": "none",
    "labs": [
        {"date": "2026-04-20", "test": "beta2_microglobulin", "value": 3.0, "unit": "mg/L"},
        {"date": "2026-04-20", "test": "creatinine", "value": 80, "unit": "µmol/L"},
        {"date": "2026-04-20", "test": "circulating_plasma_cells", "value": 0, "unit": "%"},
    ],
}
"""the DMSG additions settled (no EMD, normal β2M, no circulating plasma cells)"""


@pytest.mark.parametrize(
    ("fraction", "imwg", "dk"),
    [(0.19, False, False), (0.20, False, True), (0.21, True, True)],
)
def test_the_danish_reading_counts_del17p_from_20_percent(
    fraction: float, imwg: bool, dk: bool
) -> None:
    # seed 003: "del(17p) med klonal fraktion ≥ 20 %"; IMS/IMWG 2025: "> 20 %"
    cyto = dict(_record()["cytogenetics"], del_17p=True, del_17p_fraction=fraction)
    facts = Assessment(parse_record(_record(cytogenetics=cyto, **COMPLETE)))
    assert facts.value("high_risk_imwg2025") is imwg
    assert facts.value("high_risk_dk") is dk
    if fraction == 0.20:
        assert "'> 20 %'" in facts.get("high_risk_dk").why


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"t_4_14": True}, False),
        ({"gain_1q": True, "amp_1q": True}, False),  # 1q+ counts once
        ({"t_4_14": True, "gain_1q": True}, True),
        ({"del_17p": True, "del_17p_fraction": 0.10, "gain_1q": True}, True),
        ({"t_4_14": True, "gain_1q": None, "amp_1q": None}, None),
        ({"t_4_14": True, "del_1p": True, "del_1p_biallelic": None}, True),
    ],
)
def test_two_or_more_hrcas(changes: dict[str, Any], expected: bool | None) -> None:
    cyto = dict(_record()["cytogenetics"], **changes)
    facts = Assessment(parse_record(_record(cytogenetics=cyto)))
    assert facts.value("two_or_more_hrcas") is expected


def test_two_hrcas_below_the_imwg_threshold_are_high_risk_for_the_danish_pathway() -> None:
    cyto = dict(_record()["cytogenetics"], del_17p=True, del_17p_fraction=0.10, gain_1q=True)
    facts = Assessment(parse_record(_record(cytogenetics=cyto)))
    assert facts.value("high_risk_imwg2025") is False
    assert facts.value("high_risk_dk") is True


def test_no_del1p_means_no_biallelic_del1p_when_that_field_is_left_out() -> None:
    cyto = dict(_record()["cytogenetics"])
    del cyto["del_1p_biallelic"]
    facts = Assessment(parse_record(_record(cytogenetics=cyto, **COMPLETE)))
    assert facts.value("high_risk_imwg2025") is False
    assert facts.value("two_or_more_hrcas") is False
    assert facts.value("high_risk_dk") is False


@pytest.mark.parametrize(
    ("after_asct", "phase"),
    [
        ([], "consolidation"),
        ([("D-KRd", "2026-01-12", "2026-05-03")], "maintenance"),  # consolidation done
        ([("D-KRd", "2026-01-12", None)], "consolidation"),
        ([("D-KRd", "2026-01-12", "2026-05-03"), ("D-R", "2026-05-25", None)], "maintenance"),
        ([("D-R", "2026-01-12", None)], "maintenance"),
    ],
)
def test_post_asct_courses_without_setting_are_consolidation_or_maintenance(
    after_asct: list[tuple[str, str, str | None]], phase: str
) -> None:
    """Class: a post-ASCT course without ``setting`` left the pathway in consolidation.
    The induction regimen again = consolidation ("samme regime"); another = maintenance."""
    courses = [{"regimen": "D-KRd", "start": "2025-01-20", "end": "2025-05-11"}]
    for regimen, start, end in after_asct:
        courses.append({"regimen": regimen, "start": start, **({"end": end} if end else {})})
    record = _record(
        as_of="2026-11-10",
        treatments=courses,
        progressions=[],
        procedures=[
            {"type": "stem_cell_collection", "date": "2025-06-03"},
            {"type": "autologous_sct", "date": "2025-07-08"},
            {"type": "autologous_sct", "date": "2025-10-14"},
        ],
    )
    assert Assessment(parse_record(record)).value("pathway_phase") == phase


def test_an_induction_still_given_is_the_phase_without_recorded_procedures() -> None:
    # no procedure can follow an induction course that is still being given (review/facts/
    # 93: VCd then D-VRd, ongoing, `procedures` left out); a finished one leaves it unknown
    vcd = {"regimen": "VCd", "setting": "induction", "start": "2026-01-05", "end": "2026-02-08"}
    vcd["stop_reason"] = "completed"
    dvrd = {"regimen": "D-VRd", "setting": "induction", "start": "2026-02-09"}
    ongoing = Assessment(parse_record(_record(treatments=[vcd, dvrd], progressions=[])))
    assert ongoing.value("pathway_phase") == "induction"
    assert ongoing.value("current_line") == 1  # one line: VCd stopped for no IMWG reason
    finished = Assessment(
        parse_record(_record(treatments=[vcd, {**dvrd, "end": "2026-04-01"}], progressions=[]))
    )
    assert finished.value("pathway_phase") is None


def _collected(stem_cells: dict[str, Any] | None) -> Assessment:
    dvrd = {"regimen": "D-VRd", "setting": "induction", "start": "2026-01-05", "end": "2026-03-29"}
    fields: dict[str, Any] = {
        "treatments": [dvrd],
        "procedures": [{"type": "stem_cell_collection", "date": "2026-04-20"}],
        "progressions": [],
    }
    if stem_cells is not None:
        fields["stem_cells"] = stem_cells
    return Assessment(parse_record(_record(**fields)))


def test_a_failed_collection_keeps_the_phase_before_hdt() -> None:
    # HDT is given only with stem-cell support (review/dk-ndmm-te/80): no graft, no HDT yet
    failed = _collected({"stored_grafts": 0, "sufficient_for_asct": False})
    assert failed.value("stem_cell_collection_failed") is True
    assert failed.value("pathway_phase") == "mobilisation"
    done = _collected({"stored_grafts": 2})
    assert done.value("stem_cell_collection_failed") is False
    assert done.value("pathway_phase") == "transplant"
    # a collection without stem_cells: no shortfall recorded, read as not failed
    unknown = _collected(None)
    assert unknown.value("stem_cell_collection_failed") is False
    assert "no shortfall recorded" in unknown.get("stem_cell_collection_failed").why
    assert unknown.value("pathway_phase") == "transplant"


def test_hdt_is_excluded_after_a_failed_collection() -> None:
    record = _record(
        treatments=[
            {"regimen": "D-VRd", "setting": "induction", "start": "2026-01-05", "end": "2026-03-29"}
        ],
        procedures=[{"type": "stem_cell_collection", "date": "2026-04-20"}],
        stem_cells={"stored_grafts": 0},
        progressions=[],
        transplant_eligible=True,
    )
    result = recommend(parse_record(record), "dk-ndmm-te").results[0]
    assert "high_dose_melphalan" not in {o.id for o in result.options}
    excluded = {e.id: e.reason for e in result.excluded}
    assert "stem-cell support" in excluded["high_dose_melphalan"]


def test_an_induction_stopped_early_for_toxicity_goes_on_with_another_regimen() -> None:
    # anaphylaxis to daratumumab after one D-VRd cycle (review/dk-ndmm-te/92): still
    # induction, VRd / VCD as the anti-CD38 alternative; lenalidomide is not blamed
    dvrd = {
        "regimen": "D-VRd",
        "setting": "induction",
        "start": "2026-03-02",
        "end": "2026-03-23",
        "cycles": 1,
        "stop_reason": "toxicity",
    }
    record = _record(
        treatments=[dvrd],
        procedures=[],
        progressions=[],
        contraindications=["anti_cd38"],
        intolerances=["daratumumab"],
        transplant_eligible=True,
    )
    facts = Assessment(parse_record(record))
    assert facts.value("induction_interrupted") is True
    assert facts.value("pathway_phase") == "induction"
    assert facts.value("lenalidomide_intolerant") is False
    assert "read as daratumumab" in facts.get("lenalidomide_intolerant").why
    result = recommend(parse_record(record), "dk-ndmm-te").results[0]
    shown = {(o.id, o.status) for o in result.options if o.phase == "induction"}
    assert {("VRd", "recommended"), ("VCD", "recommended")} <= shown
    # four cycles given: the induction is complete whatever stopped it
    complete = Assessment(
        parse_record(_record(**{**record, "treatments": [{**dvrd, "cycles": 4}]}))
    )
    assert complete.value("induction_interrupted") is False


def test_a_single_maintenance_agent_after_induction_is_maintenance_without_procedures() -> None:
    dvrd = {"regimen": "D-VRd", "setting": "induction", "start": "2025-10-06", "end": "2026-01-25"}
    lenalidomide = {"regimen": "R", "start": "2026-05-18"}
    facts = Assessment(
        parse_record(_record(as_of="2026-11-30", treatments=[dvrd, lenalidomide], progressions=[]))
    )
    assert facts.value("pathway_phase") == "maintenance"


def test_a_tier_that_depends_on_something_unknown_is_not_shown_as_given() -> None:
    """Merged options (review/dk-ndmm-te r16): the tier shown is the best one the rules give
    now; a better tier that needs an unknown fact is named in ``tier_if``, in words."""
    dvrd = {"regimen": "D-VRd", "setting": "induction", "start": "2026-01-05", "end": "2026-03-29"}
    record = _record(
        as_of="2026-09-01",
        treatments=[
            dvrd,
            {"regimen": "lenalidomide", "setting": "maintenance", "start": "2026-08-15"},
        ],
        procedures=[
            {"type": "autologous_sct", "date": "2026-05-10", "best_response_after": "VGPR"}
        ],
        mrd=[{"date": "2026-07-20", "result": "positive", "sensitivity": 1e-5}],
        cytogenetics={"method": "FISH", "del_17p": False, "t_4_14": False, "gain_1q": False},
        progressions=[],
        intolerances=[],
        transplant_eligible=True,
    )
    result = recommend(parse_record(record), "dk-ndmm-te").results[0]
    dual = next(o for o in result.options if o.id == "D-R")
    # MRD-positive after HDT: "may be considered" now; "anbefales" for high risk, unknown here
    assert (dual.tier, dual.status) == ("consider", "recommended")
    assert dual.tier_if is not None and dual.tier_if.tier == "preferred"
    assert dual.tier_if.requires == ["high_risk_dk"]
    assert "high risk" in dual.tier_if.applies_if
    # when high risk is settled, the better tier is simply the tier
    high = {
        **record,
        "cytogenetics": {**record["cytogenetics"], "del_17p": True, "del_17p_fraction": 0.5},
    }
    dual = next(
        o for o in recommend(parse_record(high), "dk-ndmm-te").results[0].options if o.id == "D-R"
    )
    assert (dual.tier, dual.status, dual.tier_if) == ("preferred", "recommended", None)


def _facts(**fields: Any) -> Assessment:
    return Assessment(parse_record({"schema_version": "1", "as_of": "2026-11-30", **fields}))


DVRD = ["daratumumab", "bortezomib", "lenalidomide", "dexamethasone"]


def test_lenalidomide_after_extra_cycles_without_hdt_is_maintenance() -> None:
    # recommendation 8: 4-6 more cycles of the induction regimen instead of HDT, then
    # maintenance; lenalidomide recorded without a setting (review r26-14)
    courses = [
        {
            "regimen": "D-VRd",
            "drugs": DVRD,
            "setting": "induction",
            "start": "2026-01-19",
            "end": "2026-05-10",
            "stop_reason": "completed",
        },
        {
            "regimen": "D-VRd",
            "drugs": DVRD,
            "setting": "induction",
            "start": "2026-05-18",
            "end": "2026-09-06",
            "stop_reason": "completed",
        },
        {"regimen": "R", "drugs": ["lenalidomide"], "start": "2026-09-21"},
    ]
    a = _facts(treatments=courses, procedures=[])
    assert a.value("pathway_phase") == "maintenance"
    assert a.value("induction_regimen") == "D-VRd"


def test_induction_regimen_after_a_switch_and_after_a_drop() -> None:
    # a switch that adds a drug (Isa-RVd, then Isa-KRd for high risk) is the induction
    # regimen consolidation repeats (review r26-07); dropping a drug keeps the original
    isa_rvd = {
        "regimen": "Isa-RVd",
        "setting": "induction",
        "start": "2025-10-13",
        "end": "2025-11-09",
        "stop_reason": "other",
    }
    isa_krd = {
        "regimen": "Isa-KRd",
        "setting": "induction",
        "start": "2025-11-17",
        "end": "2026-03-08",
        "stop_reason": "completed",
    }
    assert _facts(treatments=[isa_rvd, isa_krd]).value("induction_regimen") == "Isa-KRd"
    d_vrd = {
        "regimen": "D-VRd",
        "drugs": DVRD,
        "setting": "induction",
        "start": "2025-09-22",
        "end": "2025-10-19",
        "stop_reason": "toxicity",
    }
    d_vd = {
        "regimen": "D-Vd",
        "drugs": ["daratumumab", "bortezomib", "dexamethasone"],
        "setting": "induction",
        "start": "2025-10-20",
        "end": "2025-12-14",
    }
    assert _facts(treatments=[d_vrd, d_vd]).value("induction_regimen") == "D-VRd"


def test_lenalidomide_given_on_after_a_toxicity_stop_is_tolerated() -> None:
    """D-VRd stopped for neuropathy, then D-Rd: bortezomib was dropped, lenalidomide went on,
    so the toxicity stop says nothing against lenalidomide (review/dk-ndmm-te/30 with its
    unknown intolerances settled; lenalidomide maintenance was excluded before). A
    lenalidomide course stopped for toxicity and not followed by lenalidomide still is."""
    dvrd = {
        "regimen": "D-VRd",
        "setting": "induction",
        "start": "2025-12-01",
        "end": "2026-01-11",
        "cycles": 2,
        "stop_reason": "toxicity",
    }
    drd = {"regimen": "D-Rd", "setting": "induction", "start": "2026-01-12", "cycles": 3}
    for intolerances in (None, []):
        record = _record(
            treatments=[dvrd, drd], procedures=[], progressions=[], intolerances=intolerances
        )
        facts = Assessment(parse_record(record))
        assert facts.value("lenalidomide_intolerant") is False, intolerances
        if intolerances is None:
            assert "given again after" in facts.get("lenalidomide_intolerant").why
    alone = Assessment(parse_record(_record(treatments=[dvrd], procedures=[], progressions=[])))
    assert alone.value("lenalidomide_intolerant") is True
    result = recommend(parse_record(_record(treatments=[dvrd, drd], procedures=[])), "dk-ndmm-te")
    excluded = {e.id for e in result.results[0].excluded}
    assert not {"lenalidomide", "D-R"} & excluded


def test_an_asct_without_the_treatment_history_is_after_hdt() -> None:
    """A referral records the ASCT but not the courses (review r46-03): the patient is after
    HDT (consolidation and maintenance next), induction is over, and what depends on the
    courses (the induction regimen, tolerance of lenalidomide) stays unknown."""
    record = _record(
        treatments=None,
        procedures=[
            {"type": "autologous_sct", "date": "2026-01-14", "best_response_after": "VGPR"}
        ],
        progressions=[],
        status="newly_diagnosed",
        transplant_eligible=True,
    )
    facts = Assessment(parse_record(record))
    assert facts.value("pathway_phase") == "consolidation"
    assert "treatment history not recorded" in facts.get("pathway_phase").why
    assert facts.value("induction_interrupted") is False
    assert facts.value("induction_regimen") is None
    result = recommend(parse_record(record), "dk-ndmm-te").results[0]
    shown = {(o.id, o.phase, o.status) for o in result.options}
    assert ("rehabilitation", "rehabilitation", "recommended") in shown
    assert ("lenalidomide", "maintenance", "conditional") in shown


def test_two_years_of_anti_cd38_maintenance_end_on_the_second_anniversary() -> None:
    """'i 2 år' (seed 003): daratumumab maintenance from 29 February 2024 reaches its two
    years on 28 February 2026 (calendar months; review r49-14), not the day before."""
    induction = {
        "regimen": "D-VTd",
        "setting": "induction",
        "start": "2023-06-26",
        "end": "2023-09-17",
        "cycles": 4,
        "stop_reason": "completed",
    }
    dara = {"regimen": "daratumumab", "setting": "maintenance", "start": "2024-02-29"}
    procedures = [{"type": "autologous_sct", "date": "2023-11-15"}]

    def completed(as_of: str) -> object:
        record = _record(
            as_of=as_of,
            treatments=[induction, dara],
            procedures=procedures,
            progressions=[],
            labs=[],
        )
        return Assessment(parse_record(record)).value("anti_cd38_maintenance_completed")

    assert completed("2026-02-27") is False
    assert completed("2026-02-28") is True


def _lenalidomide_after_induction(
    cycles: list[int], procedures: list[dict[str, Any]] | None, setting: str | None = None
) -> Assessment:
    """D-VRd induction course(s) of ``cycles`` cycles, then lenalidomide alone, no ASCT."""
    windows = [("2025-01-05", "2025-04-20"), ("2025-05-04", "2025-08-17")]
    courses: list[dict[str, Any]] = [
        {
            "regimen": "D-VRd",
            "setting": "induction",
            "start": start,
            "end": end,
            "cycles": n,
            "best_response": "VGPR",
            "stop_reason": "completed",
        }
        for n, (start, end) in zip(cycles, windows, strict=False)
    ]
    lenalidomide = {"regimen": "R", "drugs": ["lenalidomide"], "start": "2025-09-08"}
    if setting is not None:
        lenalidomide["setting"] = setting
    fields: dict[str, Any] = {
        "as_of": "2026-10-28",
        "treatments": [*courses, lenalidomide],
        "progressions": [],
        "transplant_eligible": True,
    }
    if procedures is not None:
        fields["procedures"] = procedures
    return Assessment(parse_record(_record(**fields)))


def test_lenalidomide_alone_with_stored_cells_and_no_hdt_is_a_bridge_not_maintenance() -> None:
    # review r71-05: HDT deferred a year on lenalidomide after 4 D-VRd cycles and a
    # collection; recommendation 8's route (4-6 further induction cycles instead of HDT) was
    # not taken, so HDT is next, not maintenance
    collected = [{"type": "stem_cell_collection", "date": "2025-04-28"}]
    bridge = _lenalidomide_after_induction([4], collected)
    assert bridge.value("pathway_phase") == "transplant"
    assert "bridge to HDT" in bridge.get("pathway_phase").why
    assert bridge.value("current_line") == 1
    # recommendation 8's route visible (4 + 4 cycles): maintenance instead of HDT (r26-14)
    assert _lenalidomide_after_induction([4, 4], collected).value("pathway_phase") == (
        "maintenance"
    )
    # no collection (review r26-14 had none) or procedures left out (review/dk-ndmm-te/99)
    assert _lenalidomide_after_induction([4], []).value("pathway_phase") == "maintenance"
    assert _lenalidomide_after_induction([4], None).value("pathway_phase") == "maintenance"
    # what the clinician calls maintenance is maintenance
    said = _lenalidomide_after_induction([4], collected, setting="maintenance")
    assert said.value("pathway_phase") == "maintenance"


def test_the_bridged_patient_is_offered_hdt() -> None:
    collected = [{"type": "stem_cell_collection", "date": "2025-04-28"}]
    bridge = _lenalidomide_after_induction([4], collected)
    result = recommend(bridge.record, "dk-ndmm-te").results[0]
    hdt = {o.id: o for o in result.options}["high_dose_melphalan"]
    assert (hdt.tier, hdt.status, hdt.phase) == ("preferred", "recommended", "transplant")


def test_asserted_imwg_high_risk_is_danish_high_risk() -> None:
    # review r81-11: FISH done elsewhere and not in the record, the clinician asserts IMS/IMWG
    # 2025 high risk; the Danish reading (which contains every IMS/IMWG 2025 criterion) stayed
    # "not settled", so the high-risk inductions were conditional
    record = _record(cytogenetics=None, asserted={"high_risk_imwg2025": True})
    facts = Assessment(parse_record(record))
    assert facts.value("high_risk_dk") is True
    assert "IMS/IMWG 2025 high risk: asserted by the clinician" in facts.get("high_risk_dk").why
    # an asserted false settles nothing the DMSG adds (β2M, circulating cells, EMD)
    low = Assessment(
        parse_record(_record(cytogenetics=None, asserted={"high_risk_imwg2025": False}))
    )
    assert low.value("high_risk_dk") is None
