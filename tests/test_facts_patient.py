"""Kidney function (Cockcroft–Gault) and frailty (IMWG frailty score, simplified fallback)."""

from __future__ import annotations

import datetime as dt

import pytest

from mmpath.assess.kidney import cockcroft_gault
from records import AS_OF, assess, lab, value

RECENT = AS_OF - dt.timedelta(days=10)


def test_cockcroft_gault_worked_example() -> None:
    # (140 - 65) x 70 / (72 x 1.0) = 72.9 mL/min; x 0.85 for a woman = 62.0
    assert cockcroft_gault(65, 70.0, 1.0, female=False) == pytest.approx(72.92, abs=0.01)
    assert cockcroft_gault(65, 70.0, 1.0, female=True) == pytest.approx(61.98, abs=0.01)


def test_creatinine_clearance_from_micromol_per_litre() -> None:
    crcl = value(
        "creatinine_clearance",
        birth_date="1961-01-01",  # 65 at AS_OF
        sex="male",
        weight_kg=70.0,
        labs=[lab(RECENT, "creatinine", 88.4, "µmol/L")],
    )
    assert crcl == pytest.approx(72.9)


def test_measured_clearance_wins() -> None:
    crcl = value(
        "creatinine_clearance",
        birth_date="1961-01-01",
        sex="male",
        weight_kg=70.0,
        labs=[
            lab(RECENT, "creatinine", 1.0, "mg/dL"),
            lab(RECENT, "creatinine_clearance", 41.0, "mL/min"),
        ],
    )
    assert crcl == 41.0


def test_old_creatinine_is_not_used() -> None:
    a = assess(
        birth_date="1961-01-01",
        sex="male",
        weight_kg=70.0,
        labs=[lab(AS_OF - dt.timedelta(days=200), "creatinine", 1.0, "mg/dL")],
    )
    assert a.value("creatinine_clearance") is None
    why = a.get("creatinine_clearance").why
    assert "creatinine within 90 days" in why
    # the old value is shown with what it would give, not used (review r66-14)
    assert "is 200 days old; it would give 73 mL/min — measure again" in why
    older = assess(
        birth_date="1961-01-01",
        sex="male",
        weight_kg=70.0,
        labs=[lab(AS_OF - dt.timedelta(days=400), "creatinine", 1.0, "mg/dL")],
    ).get("creatinine_clearance")
    assert "is 400 days old)" in older.why and "would give" not in older.why


def test_clearance_needs_sex_for_cockcroft_gault() -> None:
    assert (
        value(
            "creatinine_clearance",
            birth_date="1961-01-01",
            weight_kg=70.0,
            labs=[lab(RECENT, "creatinine", 1.0, "mg/dL")],
        )
        is None
    )


def born(age: int) -> str:
    return f"{AS_OF.year - age}-01-01"


@pytest.mark.parametrize(
    ("age", "charlson", "adl", "iadl", "score"),
    [
        (70, 0, 6, 8, 0),  # fit
        (75, 1, 6, 8, 0),  # age 75 still 0 points
        (76, 1, 6, 8, 1),  # 76-80: 1 point
        (80, 2, 6, 8, 2),  # Charlson >= 2: 1 point
        (81, 0, 6, 8, 2),  # > 80: 2 points
        (78, 1, 4, 8, 2),  # ADL <= 4: 1 point
        (70, 0, 5, 5, 1),  # IADL <= 5: 1 point, ADL 5: 0
        (85, 3, 2, 3, 5),  # maximum
    ],
)
def test_imwg_frailty_score(age: int, charlson: int, adl: int, iadl: int, score: int) -> None:
    frailty = {"charlson_index": charlson, "katz_adl": adl, "lawton_iadl": iadl}
    a = assess(birth_date=born(age), frailty=frailty)
    assert a.value("imwg_frailty_score") == score
    assert a.value("frail") is (score >= 2)
    assert "IMWG frailty score" in a.get("imwg_frailty_score").why


def test_simplified_score_when_adl_and_iadl_are_unknown() -> None:
    # Facon 2020: age 77 -> 1, Charlson 1 -> 0, ECOG 1 -> 1 = 2: frail
    a = assess(birth_date=born(77), ecog=1, frailty={"charlson_index": 1})
    assert a.value("imwg_frailty_score") == 2
    assert a.value("frail") is True
    assert "simplified" in a.get("imwg_frailty_score").why


def test_simplified_score_counts_ecog_up_to_two() -> None:
    a = assess(birth_date=born(60), ecog=3, frailty={"charlson_index": 2})
    assert a.value("imwg_frailty_score") == 3  # age 0 + Charlson 1 + ECOG 2


def test_frail_is_decided_when_known_points_already_reach_two() -> None:
    a = assess(birth_date=born(85))  # age alone gives 2 points
    assert a.value("imwg_frailty_score") is None
    assert a.value("frail") is True


def test_frail_unknown_when_missing_items_could_tip_it() -> None:
    a = assess(birth_date=born(60), frailty={"charlson_index": 0})
    assert a.value("frail") is None


def test_recorded_adl_is_not_overruled_by_the_simplified_score() -> None:
    # IMWG items known: Charlson 1 point + IADL 1 point = 2: frail, whatever ADL is;
    # the simplified score (age 0, Charlson 1, ECOG 0 = 1) would call the patient fit.
    a = assess(birth_date=born(40), ecog=0, frailty={"charlson_index": 2, "lawton_iadl": 0})
    assert a.value("frail") is True
    assert "IMWG" in a.get("frail").why


def test_ecog_two_alone_makes_the_patient_frail_by_the_simplified_score() -> None:
    # nothing else known: age, Charlson, ADL, IADL unknown; ECOG 2 scores 2 (Facon 2020)
    a = assess(ecog=2)
    assert a.value("frail") is True
    assert "simplified" in a.get("frail").why
    assert a.value("imwg_frailty_score") is None  # the total is not known


def test_ecog_one_alone_leaves_frailty_unknown() -> None:
    assert assess(ecog=1).value("frail") is None


def _emd(**fields: object) -> tuple[object, object, object, object]:
    a = assess(**fields)
    return (
        a.value("extramedullary_disease"),
        a.value("prior_extramedullary_disease"),
        a.value("paraosseous_extramedullary_disease"),
        a.value("extraosseous_extramedullary_disease"),
    )


def test_extramedullary_now_vs_an_earlier_episode() -> None:
    start = dt.date(2023, 1, 10)
    earlier = {"date": "2024-03-01", "type": "clinical", "features": ["extramedullary"]}
    later = {"date": "2026-10-01", "type": "biochemical"}
    treatments = [
        {"regimen": "VRd", "start": start.isoformat(), "end": "2024-03-01"},
        {"regimen": "DVd", "start": "2024-03-15"},
    ]
    # resolved plasmacytoma: none now, an earlier episode
    assert _emd(extramedullary="none", treatments=treatments, progressions=[earlier, later]) == (
        False,
        True,
        False,
        False,
    )
    # the field not recorded: the earlier episode does not make EMD current
    assert _emd(treatments=treatments, progressions=[earlier, later])[:2] == (None, True)
    # EMD at the current progression, field not recorded: current
    assert _emd(treatments=treatments[:1], progressions=[earlier]) == (True, False, None, None)
    assert _emd(extramedullary="paraosseous", progressions=[]) == (True, False, True, False)
    assert _emd(extramedullary="extraosseous", progressions=[]) == (True, False, False, True)


def test_plasma_cell_leukaemia_primary_and_secondary() -> None:
    def cpc(percent: float) -> dict[str, object]:
        return lab(dt.date(2026, 1, 5), "circulating_plasma_cells", percent, "%")

    treatments = [{"regimen": "VRd", "start": "2026-01-10"}]
    a = assess(diagnosis={"plasma_cell_leukemia": True}, treatments=treatments)
    assert a.value("primary_plasma_cell_leukemia") is True
    assert a.value("plasma_cell_leukemia") is True
    # ≥ 5 % at diagnosis is PCL (IMWG 2021) even when the flag says no: counted, with a warning
    b = assess(diagnosis={"plasma_cell_leukemia": False}, labs=[cpc(6)], treatments=treatments)
    assert b.value("primary_plasma_cell_leukemia") is True
    assert b.get("primary_plasma_cell_leukemia").warnings
    c = assess(labs=[cpc(4.9)], treatments=treatments, progressions=[])
    assert c.value("primary_plasma_cell_leukemia") is False
    assert c.value("plasma_cell_leukemia") is False
    # secondary PCL at a progression
    d = assess(
        labs=[cpc(1)],
        treatments=treatments,
        progressions=[
            {"date": "2026-09-01", "type": "clinical", "features": ["plasma_cell_leukemia"]}
        ],
    )
    assert (d.value("primary_plasma_cell_leukemia"), d.value("plasma_cell_leukemia")) == (
        False,
        True,
    )
    assert assess().value("plasma_cell_leukemia") is None
