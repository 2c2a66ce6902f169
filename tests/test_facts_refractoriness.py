"""Refractoriness and exposure from the treatment timeline (IMWG, 60-day window)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from mmpath.assess.refractoriness import REFRACTORY_WINDOW_DAYS
from records import assess, course, days, lab, progression, value

LAST_DOSE = dt.date(2025, 6, 30)
START = dt.date(2024, 1, 10)


def len_refractory_with_gap(gap: int) -> object:
    return value(
        "lenalidomide_refractory",
        treatments=[
            course("lenalidomide", START, LAST_DOSE, setting="maintenance", best_response="VGPR")
        ],
        progressions=[progression(LAST_DOSE + days(gap))],
    )


def test_window_is_sixty_days() -> None:
    assert REFRACTORY_WINDOW_DAYS == 60


def test_progression_on_day_60_after_last_dose_is_refractory() -> None:
    assert len_refractory_with_gap(60) is True


def test_progression_on_day_61_after_last_dose_is_not_refractory() -> None:
    assert len_refractory_with_gap(61) is False


def test_progression_on_the_last_dose_day_is_refractory() -> None:
    assert len_refractory_with_gap(0) is True


@given(st.integers(min_value=0, max_value=400))
def test_refractory_exactly_within_the_window(gap: int) -> None:
    assert len_refractory_with_gap(gap) is (gap <= REFRACTORY_WINDOW_DAYS)


def test_progression_on_an_ongoing_course_is_refractory() -> None:
    assert (
        value(
            "lenalidomide_refractory",
            treatments=[course("lenalidomide", START, setting="maintenance")],
            progressions=[progression(dt.date(2026, 10, 1))],
        )
        is True
    )


def test_progression_on_the_day_a_course_starts_is_not_refractoriness_for_it() -> None:
    # VTd stopped long before; Kd starts on the day the progression is recorded.
    day = dt.date(2026, 6, 1)
    fields = {
        "treatments": [
            course("VTd", dt.date(2023, 1, 10), dt.date(2023, 5, 1), best_response="VGPR"),
            course("Kd", day, best_response="PR"),
        ],
        "progressions": [progression(day)],
    }
    assert value("carfilzomib_refractory", **fields) is False
    assert value("carfilzomib_exposed", **fields) is True
    assert value("bortezomib_refractory", **fields) is False


def test_progression_the_day_after_a_course_starts_is_refractoriness() -> None:
    day = dt.date(2026, 6, 1)
    assert (
        value(
            "carfilzomib_refractory",
            treatments=[course("Kd", day)],
            progressions=[progression(day + days(1))],
        )
        is True
    )


def test_no_response_is_refractory_without_progression() -> None:
    assert (
        value(
            "bortezomib_refractory",
            treatments=[course("VCD", START, START + days(90), best_response="SD")],
            progressions=[],
        )
        is True
    )


def test_stop_reason_progression_counts_as_progression_at_the_end() -> None:
    assert (
        value(
            "lenalidomide_refractory",
            treatments=[course("Rd", START, LAST_DOSE, stop_reason="progression")],
        )
        is True
    )


def test_without_progressions_refractoriness_is_unknown_not_false() -> None:
    assert value("lenalidomide_refractory", treatments=[course("Rd", START, LAST_DOSE)]) is None


def test_without_progressions_a_lab_series_across_the_window_rules_progression_out() -> None:
    # review r78-09 (and r39-07b): progressions not recorded, but the M-protein was measured
    # after the 60-day window and stayed at its plateau; `relapsed` already read "no
    # progression" from the same series, while lenalidomide refractoriness stayed unknown
    rd = [course("Rd", START, LAST_DOSE, best_response="VGPR")]

    def series(*offsets: int) -> list[dict[str, object]]:
        values = [  # measurable at diagnosis (IMWG 2016: serum ≥ 1 g/dL), then a plateau
            lab(START - days(10), "serum_m_protein", 3.0, "g/dL"),
            lab(START + days(90), "serum_m_protein", 0.4, "g/dL"),
        ]
        return values + [lab(LAST_DOSE + days(n), "serum_m_protein", 0.4, "g/dL") for n in offsets]

    assert value("lenalidomide_refractory", treatments=rd, labs=series(80)) is False
    reason = assess(treatments=rd, labs=series(80)).get("lenalidomide_refractory").why
    assert "series shows none" in reason
    # measured only inside the window (nothing shows the 60 days passed without progression)
    assert value("lenalidomide_refractory", treatments=rd, labs=series(30)) is None
    # no measurement until long after the window: the series does not follow it
    assert value("lenalidomide_refractory", treatments=rd, labs=series(400)) is None
    # without the best response, non-response is still not ruled out
    no_response = [course("Rd", START, LAST_DOSE)]
    assert value("lenalidomide_refractory", treatments=no_response, labs=series(80)) is None


def test_without_best_response_non_response_cannot_be_ruled_out() -> None:
    fields = {"progressions": [progression(LAST_DOSE + days(300))]}
    no_response = [course("Rd", START, LAST_DOSE)]
    assert value("lenalidomide_refractory", treatments=no_response, **fields) is None
    responded = [course("Rd", START, LAST_DOSE, best_response="MR")]
    assert value("lenalidomide_refractory", treatments=responded, **fields) is False


def test_class_refractoriness_combines_the_drugs_of_the_class() -> None:
    fields = {
        "treatments": [
            course("VTd", START, START + days(100), best_response="VGPR"),
            course("Kd", dt.date(2025, 1, 10)),
        ],
        "progressions": [progression(dt.date(2025, 1, 1)), progression(dt.date(2026, 9, 1))],
    }
    assert value("bortezomib_refractory", **fields) is False
    assert value("carfilzomib_refractory", **fields) is True
    assert value("pi_refractory", **fields) is True
    assert value("imid_refractory", **fields) is False
    assert value("double_refractory", **fields) is False


def test_triple_class_refractory() -> None:
    fields = {"treatments": [course("DVd", START), course("lenalidomide", START + days(1))]}
    fields["progressions"] = [progression(dt.date(2026, 9, 1))]
    assert value("triple_class_refractory", **fields) is True
    assert value("double_refractory", **fields) is True


def test_exposure_is_separate_from_refractoriness() -> None:
    fields = {
        "treatments": [
            course("DRd", START, START + days(300), stop_reason="toxicity", best_response="VGPR")
        ],
        "progressions": [progression(dt.date(2026, 9, 1))],
    }
    assert value("daratumumab_exposed", **fields) is True
    assert value("daratumumab_refractory", **fields) is False
    assert value("anti_cd38_exposed", **fields) is True
    assert value("pomalidomide_exposed", **fields) is False


def test_exposure_unknown_without_treatment_history() -> None:
    assert value("daratumumab_exposed") is None
    assert value("daratumumab_exposed", treatments=[]) is False


def test_maintenance_without_its_own_response_inherits_the_lines_response() -> None:
    from mmpath.assess import Assessment
    from mmpath.record.load import parse_record

    def len_refractory(induction_response: str | None) -> object:
        induction: dict[str, object] = {
            "regimen": "VRd",
            "setting": "induction",
            "start": "2021-01-11",
            "end": "2021-05-01",
        }
        if induction_response:
            induction["best_response"] = induction_response
        record = {
            "schema_version": "1",
            "as_of": "2026-11-01",
            "treatments": [
                induction,
                {
                    "regimen": "lenalidomide",
                    "setting": "maintenance",
                    "start": "2021-08-16",
                    "end": "2024-08-16",
                    "stop_reason": "toxicity",
                },
            ],
            "procedures": [],
            "progressions": [{"date": "2026-09-01", "type": "biochemical"}],
        }
        return Assessment(parse_record(record)).value("lenalidomide_refractory")

    assert len_refractory("VGPR") is False  # maintenance continues the VGPR of its line
    assert len_refractory(None) is None  # no response known anywhere in the line


def test_anti_cd38_refractoriness_is_by_target() -> None:
    from mmpath.assess.refractoriness import class_refractory_other, target_refractory
    from records import assess, course, progression

    start = dt.date(2024, 1, 10)
    a = assess(
        treatments=[course("IsaKd", start, start + dt.timedelta(days=300))],
        progressions=[progression(start + dt.timedelta(days=300))],
    )
    assert a.value("isatuximab_refractory") is True
    assert a.value("daratumumab_exposed") is False  # by drug
    assert a.value("anti_cd38_exposed") is True  # by class: not daratumumab-naive
    value, why = target_refractory(a, "daratumumab")
    assert value is True and "by target" in why
    # proteasome inhibitors are a class, not one target: no refractoriness by class
    assert target_refractory(a, "bortezomib")[0] is False
    assert [(k, d) for k, d, _ in class_refractory_other(a, "daratumumab")] == [
        ("anti_cd38", "isatuximab")
    ]
    assert [(k, d) for k, d, _ in class_refractory_other(a, "bortezomib")] == [
        ("proteasome_inhibitor", "carfilzomib")
    ]


def test_a_course_with_no_end_before_an_asct_ended_before_it() -> None:
    """A 2012 induction recorded without an end, an ASCT after it, a relapse in 2026: the
    induction ended before the transplant (at the latest the day before), not "ongoing" for
    14 years, so the relapse is not a progression on it (review r47-07: read as bortezomib-
    refractory). A progression soon after the transplant leaves it unknown: the last dose is
    not recorded."""
    import datetime as dt

    from records import assess, course, progression

    induction = course("PAD", dt.date(2012, 2, 20), setting="induction", best_response="VGPR")
    asct = [{"type": "autologous_sct", "date": "2012-07-09"}]
    late = assess(
        treatments=[induction], procedures=asct, progressions=[progression(dt.date(2026, 10, 26))]
    )
    assert late.courses[0].end == dt.date(2012, 7, 8) and late.courses[0].end_inferred
    assert "at the latest 2012-07-08" in late.courses[0].label()
    assert late.value("bortezomib_refractory") is False
    early = assess(
        treatments=[induction], procedures=asct, progressions=[progression(dt.date(2012, 8, 20))]
    )
    assert early.value("bortezomib_refractory") is None


def test_a_lab_progression_after_a_gap_is_dated_at_the_first_measurement_and_said_so() -> None:
    """DVd stopped, last M-protein 0.2 g/dL two weeks before the last dose, then nothing for
    31 months until a confirmed rise. IMWG dates a progression at the first assessment that
    shows it, so the patient is not daratumumab-refractory, and the reason says the window
    was judged across the gap (review r55-03, which read it as unknown)."""
    import datetime as dt

    from records import assess, course, lab, progression

    dvd = course(
        "DVd",
        dt.date(2023, 5, 8),
        dt.date(2024, 3, 15),
        setting="salvage",
        best_response="VGPR",
        stop_reason="other",
    )
    plateau = [
        lab(dt.date(2023, 11, 1), "serum_m_protein", 0.2, "g/dL"),
        lab(dt.date(2024, 3, 1), "serum_m_protein", 0.2, "g/dL"),
    ]
    rise = [
        lab(dt.date(2026, 10, 5), "serum_m_protein", 2.4, "g/dL"),
        lab(dt.date(2026, 10, 26), "serum_m_protein", 2.7, "g/dL"),
    ]
    fields = {"treatments": [dvd], "progressions": [progression(dt.date(2023, 4, 10))]}
    gap = assess(**fields, labs=plateau + rise)
    assert gap.value("daratumumab_refractory") is False
    assert (
        "IMWG dates a progression at the first assessment" in gap.get("daratumumab_refractory").why
    )
    checked = [*plateau, lab(dt.date(2024, 6, 3), "serum_m_protein", 0.2, "g/dL"), *rise]
    assert (
        "no measurement between"
        not in assess(**fields, labs=checked).get("daratumumab_refractory").why
    )
