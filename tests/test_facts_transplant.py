"""Transplant facts: eligibility boundaries and the second-ASCT 24/36-month rule (seed 000)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from records import AS_OF, assess, course, days, progression, value


def born(age: int) -> str:
    return f"{AS_OF.year - age}-01-01"


@pytest.mark.parametrize(("age", "expected"), [(70, True), (71, None), (85, None)])
def test_dmsg_eligibility_age_boundary(age: int, expected: bool | None) -> None:
    """Seed 003: "biologisk alder ≤ 70 år" — above 70 chronologically, the biological age
    is the clinician's judgement (unknown), not a derived 'ineligible'."""
    fields = {"birth_date": born(age), "ecog": 1, "comorbidities": []}
    assert value("transplant_eligible_dmsg", **fields) is expected


def test_age_over_70_names_biological_age_as_the_criterion() -> None:
    found = assess(birth_date=born(71), ecog=0, comorbidities=[]).get("transplant_eligible_dmsg")
    assert found.value is None
    assert "biological age" in found.why and "set transplant_eligible" in found.why


@pytest.mark.parametrize(("ecog", "expected"), [(0, True), (1, True), (2, False), (4, False)])
def test_dmsg_eligibility_ecog_boundary(ecog: int, expected: bool) -> None:
    fields = {"birth_date": born(60), "ecog": ecog, "comorbidities": []}
    assert value("transplant_eligible_dmsg", **fields) is expected


def test_comorbidity_leaves_dmsg_eligibility_to_the_clinician() -> None:
    fields = {"birth_date": born(60), "ecog": 0, "comorbidities": ["heart_failure"]}
    assert value("transplant_eligible_dmsg", **fields) is None


def test_unrecorded_comorbidities_leave_dmsg_eligibility_unknown() -> None:
    assert value("transplant_eligible_dmsg", birth_date=born(60), ecog=0) is None


def test_ecog_2_decides_the_dmsg_rule_even_with_unknowns() -> None:
    assert value("transplant_eligible_dmsg", birth_date=born(75)) is None
    assert value("transplant_eligible_dmsg", birth_date=born(75), ecog=2) is False
    assert value("transplant_eligible_dmsg", ecog=3) is False


@pytest.mark.parametrize(
    ("comorbidities", "expected"),
    [
        (["hypertension"], True),
        (["peripheral_neuropathy", "venous_thromboembolism"], True),
        (["hypertension", "copd"], None),
        (["arrhythmia"], None),
    ],
)
def test_comorbidities_no_index_counts_are_not_significant(
    comorbidities: list[str], expected: bool | None
) -> None:
    # neither Charlson nor HCT-CI counts hypertension, neuropathy or VTE
    fields = {"birth_date": born(60), "ecog": 0, "comorbidities": comorbidities}
    assert value("transplant_eligible_dmsg", **fields) is expected


@pytest.mark.parametrize(
    ("comorbidities", "expected"),
    [
        (["renal_impairment"], True),
        (["renal_impairment", "hypertension"], True),
        (["renal_impairment", "heart_failure"], None),
        (["dialysis"], True),
        (["dialysis", "renal_impairment"], True),
        (["dialysis", "copd"], None),
    ],
)
def test_renal_impairment_alone_is_met_by_the_melphalan_dose(
    comorbidities: list[str], expected: bool | None
) -> None:
    # seed 003 lowers the melphalan dose for kidney impairment (recommendation 3) instead of
    # withholding HDT; dialysis is that impairment's lowest band (140 mg/m², review round 22)
    fields = {"birth_date": born(60), "ecog": 0, "comorbidities": comorbidities}
    found = assess(**fields).get("transplant_eligible_dmsg")
    assert found.value is expected
    if expected:
        assert "melphalan dose" in found.why


def test_generic_eligibility_is_the_clinicians_judgement_only() -> None:
    # no guideline-independent rule: the Danish age limit is not borrowed
    for fields in (
        {"birth_date": born(75), "ecog": 0, "comorbidities": []},
        {"birth_date": born(50), "ecog": 3, "comorbidities": []},
        {"birth_date": born(50), "ecog": 0, "comorbidities": []},
    ):
        assert value("transplant_eligible", **fields) is None
    assert value("transplant_eligible", transplant_eligible=True, birth_date=born(75)) is True
    assert value("transplant_eligible", asserted={"transplant_eligible": False}) is False


def test_record_value_wins() -> None:
    fields = {"birth_date": born(75), "ecog": 2, "comorbidities": ["copd"]}
    for name in ("transplant_eligible", "transplant_eligible_dmsg"):
        assert value(name, transplant_eligible=True, **fields) is True
        assert value(name, transplant_eligible=False, birth_date=born(50)) is False


ASCT = dt.date(2021, 6, 1)


def second_asct(
    progression_after_days: int, *, len_maintenance: bool, response: str = "VGPR"
) -> Any:
    treatments = [course("VCD", ASCT - days(150), ASCT - days(40), best_response="VGPR")]
    if len_maintenance:
        treatments.append(course("lenalidomide", ASCT + days(90), setting="maintenance"))
    return value(
        "second_asct_candidate",
        treatments=treatments,
        procedures=[
            {"type": "autologous_sct", "date": ASCT.isoformat(), "best_response_after": response}
        ],
        progressions=[progression(ASCT + days(progression_after_days))],
        stem_cells={"stored_grafts": 1},
    )


# calendar months: 2021-06-01 + 24 months = 2023-06-01 (730 days), + 36 months = 2024-06-01
# (1096 days). The list says "> 24 (> 36) months", the paragraph "minimaal 24 (36) maanden":
# on the anniversary day itself the two wordings disagree, so the criterion is unknown.
@pytest.mark.parametrize(
    ("after", "expected"), [(725, False), (729, False), (730, None), (731, True), (1000, True)]
)
def test_24_months_without_lenalidomide_maintenance(after: int, expected: bool | None) -> None:
    assert second_asct(after, len_maintenance=False) is expected


@pytest.mark.parametrize(
    ("after", "expected"), [(736, False), (1095, False), (1096, None), (1097, True), (1100, True)]
)
def test_36_months_with_lenalidomide_maintenance(after: int, expected: bool | None) -> None:
    assert second_asct(after, len_maintenance=True) is expected


def _maintenance_stopped(progression_after_days: int, setting: str | None = "maintenance") -> Any:
    stopped = ASCT + days(90 + 365)  # one year of lenalidomide maintenance, stopped
    return value(
        "second_asct_remission_criteria",
        treatments=[
            course("VCD", ASCT - days(150), ASCT - days(40), best_response="VGPR"),
            {
                **course("R", ASCT + days(90), stopped, stop_reason="toxicity"),
                "drugs": ["lenalidomide"],
                **({"setting": setting} if setting else {}),
            },
        ],
        procedures=[
            {"type": "autologous_sct", "date": ASCT.isoformat(), "best_response_after": "VGPR"}
        ],
        progressions=[progression(ASCT + days(progression_after_days))],
    )


@pytest.mark.parametrize("setting", ["maintenance", None])
def test_relapse_after_the_maintenance_stopped_is_read_both_ways(setting: str | None) -> None:
    # 30 months: > 24 by the list (relapse not during maintenance), < 36 by the paragraph
    # (maintenance was given): unknown, both readings in the reason; a lenalidomide course
    # after the ASCT without a setting is its maintenance
    assert _maintenance_stopped(913, setting) is None
    # 40 months: both readings met; 20 months: neither
    assert _maintenance_stopped(1218, setting) is True
    assert _maintenance_stopped(608, setting) is False


def test_the_reason_names_both_wordings() -> None:
    a = assess(
        treatments=[
            course("VCD", ASCT - days(150), ASCT - days(40), best_response="VGPR"),
            course("lenalidomide", ASCT + days(90), ASCT + days(455), setting="maintenance"),
        ],
        procedures=[
            {"type": "autologous_sct", "date": ASCT.isoformat(), "best_response_after": "VGPR"}
        ],
        progressions=[progression(ASCT + days(913))],
    )
    why = a.get("second_asct_remission_criteria").why
    assert "PFS > 24 months" in why and "at least 36 months" in why and "disagree" in why


def test_partial_response_after_asct_is_undecided() -> None:
    assert second_asct(1000, len_maintenance=False, response="PR") is None


def test_no_response_after_asct_is_not_good() -> None:
    assert second_asct(1000, len_maintenance=False, response="SD") is False


def test_insufficient_stem_cells() -> None:
    fields = {
        "treatments": [course("VCD", ASCT - days(150), ASCT - days(40))],
        "procedures": [
            {"type": "autologous_sct", "date": ASCT.isoformat(), "best_response_after": "CR"}
        ],
        "progressions": [progression(ASCT + days(1000))],
    }
    assert value("second_asct_candidate", stem_cells={"stored_grafts": 0}, **fields) is False
    assert (
        value("second_asct_candidate", stem_cells={"sufficient_for_asct": False}, **fields) is False
    )
    assert value("second_asct_candidate", **fields) is None
    assert value("second_asct_remission_criteria", **fields) is True


STANDARD_RISK = {
    "del_17p": False,
    "tp53_mutation": False,
    "t_4_14": False,
    "t_14_16": False,
    "t_14_20": False,
    "gain_1q": False,
    "amp_1q": False,
    "del_1p": False,
}


def test_early_relapse_for_allogeneic_sct() -> None:
    start = dt.date(2024, 1, 10)
    fields: dict[str, Any] = {
        "diagnosis": {"date": "2024-01-02", "iss": 1},
        "treatments": [course("VRd", start, start + days(150))],
        "procedures": [],
        "cytogenetics": STANDARD_RISK,
    }
    early = value("allo_sct_consideration", progressions=[progression(start + days(700))], **fields)
    late = value("allo_sct_consideration", progressions=[progression(start + days(760))], **fields)
    assert (early, late) == (True, False)


def test_isolated_1q_gain_is_not_hoog_risico_ziekte() -> None:
    start = dt.date(2022, 1, 10)
    fields: dict[str, Any] = {
        "diagnosis": {"date": "2022-01-03", "iss": 2},
        "treatments": [course("VRd", start, start + days(150))],
        "procedures": [],
        "progressions": [progression(start + days(1200))],
    }
    one_q = {**STANDARD_RISK, "gain_1q": True}
    assert value("allo_sct_consideration", cytogenetics=one_q, **fields) is False
    del17p = {**STANDARD_RISK, "del_17p": True, "del_17p_fraction": 0.6}
    assert value("allo_sct_consideration", cytogenetics=del17p, **fields) is True


def _within(relapse: dt.date, *, diagnosis: str | None, asct: dt.date | None) -> Any:
    start = dt.date(2023, 1, 9)
    fields: dict[str, Any] = {
        "treatments": [course("VRd", start, start + days(120))],
        "procedures": [{"type": "autologous_sct", "date": asct.isoformat()}] if asct else [],
        "progressions": [progression(relapse)],
    }
    if diagnosis:
        fields["diagnosis"] = {"date": diagnosis}
    return value("relapse_within_24_months", **fields)


def test_relapse_within_24_months_names_no_anchor_so_readings_that_differ_are_unknown() -> None:
    diagnosis, asct = "2022-12-01", dt.date(2023, 6, 5)
    # 22 months after the ASCT, 27 after the start of therapy, 28 after diagnosis
    assert _within(dt.date(2025, 4, 7), diagnosis=diagnosis, asct=asct) is None
    # within 24 months of every starting point / of none
    assert _within(dt.date(2024, 8, 1), diagnosis=diagnosis, asct=asct) is True
    assert _within(dt.date(2025, 9, 1), diagnosis=diagnosis, asct=asct) is False
    # no ASCT: diagnosis and start of therapy only
    assert _within(dt.date(2024, 12, 20), diagnosis=diagnosis, asct=None) is None
    assert _within(dt.date(2024, 11, 20), diagnosis=diagnosis, asct=None) is True
    # diagnosis date unknown: not within 24 months of the start of therapy settles it (the
    # diagnosis came earlier); within 24 months of it does not
    assert _within(dt.date(2025, 9, 1), diagnosis=None, asct=None) is False
    assert _within(dt.date(2024, 11, 20), diagnosis=None, asct=None) is None


def test_relapse_within_24_months_from_labs_only_is_not_ruled_out() -> None:
    start = dt.date(2022, 1, 10)
    stop = start + days(900)  # 29.6 months: not early, if it was the first progression
    fields: dict[str, Any] = {"treatments": [course("VRd", start, stop, stop_reason="progression")]}
    fields["diagnosis"] = {"date": start.isoformat()}
    fields["procedures"] = []
    assert value("relapse_within_24_months", progressions=[progression(stop)], **fields) is False
    # an earlier progression may be unrecorded
    assert value("relapse_within_24_months", **fields) is None


def test_prior_vgpr_unknown_while_procedures_are_unknown() -> None:
    treatments = [course("VCD", ASCT - days(150), ASCT - days(40), best_response="PR")]
    assert value("prior_vgpr_or_better", treatments=treatments, procedures=[]) is False
    assert value("prior_vgpr_or_better", treatments=treatments) is None
    asct = [{"type": "autologous_sct", "date": ASCT.isoformat(), "best_response_after": "CR"}]
    assert value("prior_vgpr_or_better", treatments=treatments, procedures=asct) is True


def test_a_tandem_counts_as_two_transplants() -> None:
    fields = {
        "treatments": [course("VRd", ASCT - days(150), ASCT - days(40), best_response="VGPR")],
        "procedures": [
            {"type": "autologous_sct", "date": ASCT.isoformat(), "best_response_after": "VGPR"},
            {
                "type": "autologous_sct",
                "date": (ASCT + days(100)).isoformat(),
                "best_response_after": "CR",
            },
        ],
        "progressions": [progression(ASCT + days(1500))],
        "stem_cells": {"stored_grafts": 1},
    }
    assert value("asct_count", **fields) == 2
    assert value("second_asct_remission_criteria", **fields) is False
    assert value("second_asct_candidate", **fields) is False


@pytest.mark.parametrize(
    ("asct", "progressed", "expected"),
    [
        # "at least 3 years" (seed 001): on the anniversary counts
        ("2021-06-01", "2024-06-01", True),
        ("2021-06-01", "2024-05-31", False),
        # a calendar month, not 30.44 days: 29 Feb + 36 months = 28 Feb (no leap year)
        ("2020-02-29", "2023-02-28", True),
        ("2020-02-29", "2023-02-27", False),
    ],
)
def test_remission_of_three_years_uses_calendar_months(
    asct: str, progressed: str, expected: bool
) -> None:
    fields = {
        "treatments": [course("VRd", dt.date(2019, 9, 1), dt.date(2019, 12, 1))],
        "procedures": [{"type": "autologous_sct", "date": asct}],
        "progressions": [{"date": progressed, "type": "clinical"}],
    }
    assert value("remission_after_first_asct_3_years", **fields) is expected


@pytest.mark.parametrize(("offset_days", "expected"), [(-1, True), (0, False)])
def test_relapse_within_24_months_at_the_calendar_boundary(
    offset_days: int, expected: bool
) -> None:
    start = dt.date(2022, 3, 31)
    boundary = dt.date(2024, 3, 31)  # 24 calendar months later
    fields: dict[str, Any] = {
        "diagnosis": {"date": start.isoformat()},
        "treatments": [course("VRd", start, start + days(150))],
        "procedures": [],
        "progressions": [progression(boundary + days(offset_days))],
    }
    assert value("relapse_within_24_months", **fields) is expected


def test_stored_graft_criterion() -> None:
    assert value("stem_cells_sufficient", stem_cells={"stored_grafts": 2}) is True
    assert value("stem_cells_sufficient", stem_cells={"stored_grafts": 0}) is False
    contradictory = assess(stem_cells={"stored_grafts": 0, "sufficient_for_asct": True})
    assert contradictory.value("stem_cells_sufficient") is True
    assert contradictory.get("stem_cells_sufficient").warnings


def test_a_stem_cell_collection_has_no_response_to_be_missing() -> None:
    # VCD (PR), collection, ASCT (PR), maintenance (PR): never VGPR, and the collection,
    # which is not a treatment, does not leave the past best response unknown (review r30-05)
    start = dt.date(2022, 9, 5)
    fields: dict[str, Any] = {
        "treatments": [
            {**course("VCD", start, start + days(120)), "best_response": "PR"},
            {
                **course("lenalidomide", start + days(240), setting="maintenance"),
                "best_response": "PR",
            },
        ],
        "procedures": [
            {"type": "stem_cell_collection", "date": (start + days(140)).isoformat()},
            {
                "type": "autologous_sct",
                "date": (start + days(160)).isoformat(),
                "best_response_after": "PR",
            },
        ],
    }
    assert value("prior_vgpr_or_better", **fields) is False
    fields["procedures"][1].pop("best_response_after")
    assert value("prior_vgpr_or_better", **fields) is None  # the ASCT's response is missing
