"""Lines of therapy (IMWG consensus, Rajkumar et al., Blood 2015;126:921) and the patient's
position at the decision date: prior lines and the current line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mmpath.assess.timeline import REGIMEN_WINDOW_DAYS
from records import assess, course, days, progression, value

START = dt.date(2023, 1, 10)


def lines_of(**fields: Any) -> list[int]:
    return [c.line for c in sorted(assess(**fields).courses, key=lambda c: c.index)]


def position(**fields: Any) -> tuple[object, object]:
    a = assess(**fields)
    return a.value("prior_lines"), a.value("current_line")


def asct(day: dt.date) -> dict[str, Any]:
    return {"type": "autologous_sct", "date": day.isoformat()}


def test_induction_asct_consolidation_maintenance_is_one_line_with_settings() -> None:
    fields = {
        "treatments": [
            course("VTd", START, START + days(100), setting="induction"),
            course("VTd", START + days(200), START + days(250), setting="consolidation"),
            course("lenalidomide", START + days(270), setting="maintenance"),
        ],
        "procedures": [asct(START + days(150))],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1, 1]
    # on maintenance, responding: line 1 is the current line, not a prior one
    assert position(**fields) == (0, 1)


def test_courses_after_an_asct_continue_the_line_without_a_setting() -> None:
    # D-VRd consolidation adds daratumumab, but it follows the ASCT of the planned line
    fields = {
        "treatments": [
            course("VRd", START, START + days(100)),
            course("D-VRd", START + days(200), START + days(260)),
            course("lenalidomide", START + days(280)),
        ],
        "procedures": [asct(START + days(150))],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1, 1]
    a = assess(**fields)
    assert "after the ASCT of" in a.courses[1].line_why


def test_tandem_asct_and_maintenance_are_one_line() -> None:
    fields = {
        "treatments": [
            course("VRd", START, START + days(100)),
            course("lenalidomide", START + days(330)),
        ],
        "procedures": [asct(START + days(150)), asct(START + days(260))],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1]


def test_progression_after_the_planned_line_makes_it_a_prior_line() -> None:
    p = START + days(700)
    fields = {
        "treatments": [
            course("VRd", START, START + days(180)),
            course("lenalidomide", START + days(200), p, setting="maintenance"),
        ],
        "progressions": [progression(p)],
    }
    assert position(**fields) == (1, 2)


def test_new_regimen_after_progression_is_a_new_line() -> None:
    p = START + days(700)
    fields = {
        "treatments": [
            course("VRd", START, START + days(180)),
            course("lenalidomide", START + days(200), p, setting="maintenance"),
            course("Kd", p + days(10)),
        ],
        "progressions": [progression(p)],
    }
    assert lines_of(**fields) == [1, 1, 2]
    assert "after progression" in assess(**fields).courses[2].line_why


def test_responding_on_the_second_line_is_not_a_third_line_decision() -> None:
    p = START + days(700)
    fields = {
        "treatments": [
            course("VRd", START, START + days(180)),
            course("DKd", p + days(10), best_response="VGPR"),
        ],
        "progressions": [progression(p)],
    }
    assert position(**fields) == (1, 2)


def test_progression_on_the_second_line_is_a_third_line_decision() -> None:
    p1, p2 = START + days(700), START + days(1000)
    fields = {
        "treatments": [
            course("VRd", START, START + days(180)),
            course("DKd", p1 + days(10), p2),
        ],
        "progressions": [progression(p1), progression(p2)],
    }
    assert position(**fields) == (2, 3)


def test_same_drugs_after_progression_start_a_new_line() -> None:
    p = START + days(300)
    fields = {
        "treatments": [
            course("VRd", START, START + days(180)),
            course("lenalidomide", p + days(5), setting="maintenance"),
        ],
        "progressions": [progression(p)],
    }
    assert lines_of(**fields) == [1, 2]


def test_a_drug_dropped_for_toxicity_is_the_same_line() -> None:
    # bortezomib stopped for neuropathy: VRd continues as Rd, no progression
    fields = {
        "treatments": [
            course("VRd", START, START + days(90), stop_reason="toxicity"),
            course("Rd", START + days(91), START + days(300)),
        ],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1]
    assert position(**fields) == (0, 1)


def test_same_drugs_again_after_a_pause_without_progression_is_the_same_line() -> None:
    fields = {
        "treatments": [
            course("Rd", START, START + days(200)),
            course("Rd", START + days(400)),
        ],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1]


def test_adding_only_a_corticosteroid_is_not_a_new_line() -> None:
    fields = {
        "treatments": [
            course("lenalidomide", START, START + days(200)),
            course("Rd", START + days(201)),
        ],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1]


def test_drug_added_within_28_days_belongs_to_the_line() -> None:
    fields = {
        "treatments": [
            course("Vd", START, START + days(120)),
            course("daratumumab", START + days(REGIMEN_WINDOW_DAYS), START + days(120)),
        ],
        "progressions": [],
    }
    assert REGIMEN_WINDOW_DAYS == 28
    assert lines_of(**fields) == [1, 1]


def test_drug_added_after_28_days_starts_a_new_line() -> None:
    fields = {
        "treatments": [
            course("Vd", START, START + days(120)),
            course("daratumumab", START + days(REGIMEN_WINDOW_DAYS + 1), START + days(120)),
        ],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 2]
    assert "adds daratumumab" in assess(**fields).courses[1].line_why
    assert position(**fields) == (1, 2)


def test_salvage_therapy_starts_a_new_line() -> None:
    fields = {
        "treatments": [
            course("VRd", START, START + days(120)),
            course("Vd", START + days(400), setting="salvage"),
        ],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 2]


def test_given_line_wins_over_the_window() -> None:
    fields = {
        "treatments": [
            course("VCD", START, START + days(100), line=1),
            course("PVd", START + days(400), line=1),
        ],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1]


def test_numbering_continues_from_a_given_line() -> None:
    p = START + days(300)
    fields = {
        "treatments": [
            course("VCD", START, START + days(100), line=2),
            course("Kd", START + days(400)),
        ],
        "progressions": [progression(p)],
    }
    assert lines_of(**fields) == [2, 3]


def test_given_line_numbers_count_earlier_unrecorded_lines() -> None:
    # only the latest course is entered, numbered by the clinician as the third line
    fields = {"treatments": [course("Kd", START, line=3)]}
    assert position(**fields, progressions=[]) == (2, 3)
    assert position(**fields, progressions=[progression(START + days(90))]) == (3, 4)


def test_untreated_and_unknown_history() -> None:
    assert position(treatments=[]) == (0, 1)
    assert position() == (None, None)


def test_course_stopped_for_progression_ends_the_line() -> None:
    stop = START + days(200)
    fields = {
        "treatments": [
            course("VRd", START, stop, stop_reason="progression"),
            course("Kd", stop + days(5)),
        ]
    }
    assert lines_of(**fields) == [1, 2]
    # whether Kd has failed too is not recorded (no progressions list): position unknown
    assert position(**fields) == (None, None)
    assert position(**fields, progressions=[]) == (1, 2)


def test_status_settles_an_unknown_progression_when_it_can() -> None:
    one_line = {"treatments": [course("VRd", START, START + days(180))]}
    assert position(**one_line, status="relapsed") == (1, 2)
    assert position(**one_line, status="newly_diagnosed") == (0, 1)


def test_the_reason_lists_the_derived_lines() -> None:
    p = START + days(700)
    why = (
        assess(
            treatments=[course("VRd", START, START + days(180)), course("Kd", p + days(10))],
            progressions=[progression(p)],
        )
        .get("current_line")
        .why
    )
    assert "line 1 from 2023-01-10: VRd" in why
    assert "line 2 from" in why and "after progression" in why
    assert value("prior_lines", treatments=[], progressions=[]) == 0


def collection(day: dt.date) -> dict[str, Any]:
    return {"type": "stem_cell_collection", "date": day.isoformat()}


def priming(day: dt.date) -> dict[str, Any]:
    return {
        "drugs": ["cyclophosphamide"],
        "setting": "other",
        "start": day.isoformat(),
        "end": day.isoformat(),
    }


def test_cyclophosphamide_priming_before_collection_is_the_same_line() -> None:
    # seed 003: "Cyclophosphamid 2 g/m² skal gives som priming før leukaferese" — part of
    # the transplant, so induction → priming → collection → ASCT is one line (IMWG)
    fields = {
        "treatments": [
            course("D-VRd", START, START + days(110), setting="induction"),
            priming(START + days(125)),
        ],
        "procedures": [collection(START + days(136))],
        "progressions": [],
    }
    assert lines_of(**fields) == [1, 1]
    assert position(**fields) == (0, 1)


def test_cyclophosphamide_without_a_collection_or_after_progression_is_a_new_line() -> None:
    no_harvest = {
        "treatments": [
            course("D-VRd", START, START + days(110), setting="induction"),
            priming(START + days(125)),
        ],
        "procedures": [collection(START + days(125 + 60))],
        "progressions": [],
    }
    assert lines_of(**no_harvest) == [1, 2]
    after_progression = {
        "treatments": [
            course("D-VRd", START, START + days(110), setting="induction"),
            priming(START + days(125)),
        ],
        "procedures": [collection(START + days(136))],
        "progressions": [progression(START + days(120))],
    }
    assert lines_of(**after_progression) == [1, 2]


def test_a_stop_for_progression_just_after_a_recorded_one_is_the_same_event() -> None:
    # the recorded progression (clinical) is the event; the course stopped 2 days later for
    # it must not add a second, untyped progression that hides its type
    fields = {
        "treatments": [
            course("VRd", START, START + days(110), setting="induction"),
            course(
                "lenalidomide",
                START + days(200),
                START + days(702),
                setting="maintenance",
                stop_reason="progression",
            ),
        ],
        "procedures": [asct(START + days(150))],
        "progressions": [progression(START + days(700), features=["bone_lesions"])],
    }
    a = assess(**fields)
    assert [e.date for e in a.progression_events] == [START + days(700)]
    assert a.value("clinical_relapse") is True


def test_an_adjunct_is_not_an_anti_myeloma_drug() -> None:
    """Clarithromycin added to Pd (ClaPd) adds no anti-myeloma drug: not a new line, and
    never listed as exposure or refractoriness (class: a non-myeloma drug counted)."""
    from mmpath.decision_summary import decision_summary

    pd_start = START + days(400)
    fields: dict[str, Any] = {
        "treatments": [
            course("VRd", START, START + days(120), best_response="VGPR"),
            course("Pd", pd_start, best_response="PR"),
            course("ClaPd", pd_start + days(90), pd_start + days(300), stop_reason="progression"),
        ],
        "progressions": [progression(START + days(380))],
    }
    assert lines_of(**fields) == [1, 2, 2]
    summary = decision_summary(assess(**fields))
    assert "clarithromycin" not in summary["exposed"].value  # type: ignore[operator]
    assert "clarithromycin" not in summary["refractory"].value  # type: ignore[operator]
    assert "pomalidomide" in summary["refractory"].value  # type: ignore[operator]


def test_a_car_t_after_bridging_warns_and_the_line_field_settles_it() -> None:
    """IMWG 2015 is silent on bridging before CAR-T: the count is shown with a warning, and
    the course's ``line`` joins bridging and CAR-T (class: lines miscounted silently)."""
    prog = START + days(300)
    bridging = course("Kd", prog + days(20), prog + days(60), best_response="PR")
    cart: dict[str, Any] = {
        "drugs": ["idecabtagene vicleucel"],
        "start": (prog + days(80)).isoformat(),
        "end": (prog + days(80)).isoformat(),
        "best_response": "VGPR",
    }
    fields: dict[str, Any] = {
        "treatments": [
            course("VRd", START, START + days(120), best_response="VGPR"),
            bridging,
            cart,
        ],
        "progressions": [progression(prog)],
    }
    a = assess(**fields)
    assert a.value("current_line") == 3
    assert any("bridging" in w for w in a.get("current_line").warnings)
    fields["treatments"][2] = {**cart, "line": 2}
    a = assess(**fields)
    assert a.value("current_line") == 2
    assert not any("bridging" in w for w in a.get("current_line").warnings)


def test_a_single_maintenance_agent_after_the_asct_is_maintenance_without_a_setting() -> None:
    """Lenalidomide alone after induction + ASCT, no setting typed, progression on it:
    'progression on lenalidomide maintenance' holds as when the setting is given."""
    base: dict[str, Any] = {
        "procedures": [{"type": "autologous_sct", "date": "2023-06-10"}],
        "progressions": [{"date": "2026-10-01", "type": "clinical"}],
    }
    untyped = [
        {"regimen": "VRd", "start": "2023-01-10", "end": "2023-05-01"},
        {"regimen": "lenalidomide", "start": "2023-08-15"},
    ]
    typed = [dict(untyped[0], setting="induction"), dict(untyped[1], setting="maintenance")]
    values = []
    for treatments in (untyped, typed):
        a = assess(**base, treatments=treatments)
        values.append((a.value("progression_on_lenalidomide_maintenance"), a.value("prior_lines")))
    assert values == [(True, 1), (True, 1)]


# -- round 8 of the independent review: IMWG's reasons for a new line ----------------------


def _switch(stop_reason: str | None, gap_days: int = 1) -> dict[str, Any]:
    """Rd for three months, then DRd: daratumumab added without progression."""
    first = course("Rd", START, START + days(95), stop_reason=stop_reason)
    return {
        "treatments": [first, course("DRd", START + days(95 + gap_days))],
        "progressions": [],
    }


def test_drugs_added_straight_after_a_stop_for_no_imwg_reason_continue_the_line() -> None:
    # IMWG 2015: a new line when the course "is changed to include other agents because of
    # progression, relapse or toxicity"; a slow response (stop_reason other), a completed
    # bridging course or the patient's choice are none of these (review/facts/92-93)
    for reason in ("other", "completed", "patient_choice"):
        assert lines_of(**_switch(reason)) == [1, 1], reason
        assert (
            "not for progression, relapse or toxicity"
            in assess(**_switch(reason)).courses[1].line_why
        )


def test_drugs_added_after_a_toxicity_stop_or_an_unknown_reason_start_a_new_line() -> None:
    assert lines_of(**_switch("toxicity")) == [1, 2]
    # no stop_reason: the reason is unknown and the real-world window rule decides
    assert lines_of(**_switch(None)) == [1, 2]


def test_drugs_added_after_a_period_off_therapy_start_a_new_line() -> None:
    # "restarts after a planned period off therapy" is a new line: only a change made
    # straight after the stop (within the regimen window) continues it
    assert lines_of(**_switch("completed", gap_days=REGIMEN_WINDOW_DAYS)) == [1, 1]
    assert lines_of(**_switch("completed", gap_days=REGIMEN_WINDOW_DAYS + 1)) == [1, 2]


def _failed_second_line(response: str | None, end: dt.date | None) -> dict[str, Any]:
    return {
        "treatments": [
            course("VRd", START, START + days(200), stop_reason="progression"),
            {
                # a course still running has no stop reason (record validation)
                **course("DVd", START + days(230), end, stop_reason="other" if end else None),
                "best_response": response,
            },
        ],
        "progressions": [progression(START + days(200))],
        "as_of": (START + days(400)).isoformat(),
    }


def test_a_line_ended_without_minimal_response_is_prior_and_the_next_is_decided() -> None:
    # IMWG 2011: non-responsive (failure to achieve MR) is refractory; the line is over
    # (review/facts/103: DVd stopped with SD, no progression event)
    for response in ("SD", "PD"):
        fields = _failed_second_line(response, START + days(350))
        assert position(**fields) == (2, 3), response
        assert "without reaching a minimal response" in assess(**fields).get("prior_lines").why


def test_a_line_with_a_response_or_still_given_or_unknown_stays_current() -> None:
    assert position(**_failed_second_line("MR", START + days(350))) == (1, 2)
    assert position(**_failed_second_line(None, START + days(350))) == (1, 2)
    assert position(**_failed_second_line("SD", None)) == (1, 2)


def test_a_salvage_course_that_only_drops_a_drug_continues_the_line() -> None:
    # DVd salvage, then Dd salvage (bortezomib dropped for toxicity): IMWG, one line
    # (review/nl-rrmm/80); a salvage course that adds a drug still starts a new one
    dvd = course("DVd", START, START + days(140), setting="salvage", stop_reason="toxicity")
    dd = course("daratumumab", START + days(141), setting="salvage")
    assert lines_of(treatments=[dvd, dd], progressions=[]) == [1, 1]
    kd = course("Kd", START + days(141), setting="salvage")
    assert lines_of(treatments=[dvd, kd], progressions=[]) == [1, 2]


def test_a_salvage_drug_added_within_the_window_of_a_salvage_line_is_one_regimen() -> None:
    # Rd salvage, daratumumab salvage 14 days later, no progression between: one regimen
    # (DRd) by the regimen window, not two lines (review r35-08); outside the window, a
    # salvage course that adds a drug still starts a new line
    rd = course("Rd", START, setting="salvage")
    dara = course("daratumumab", START + days(14), setting="salvage")
    assert lines_of(treatments=[rd, dara], progressions=[]) == [1, 1]
    late = course("daratumumab", START + days(29), setting="salvage")
    assert lines_of(treatments=[rd, late], progressions=[]) == [1, 2]


def test_a_car_t_recorded_only_as_a_procedure_is_a_line() -> None:
    # VRd, progression, a CAR-T infusion recorded only in `procedures`, progression again:
    # two prior lines, a third-line decision (review r41-01: one prior line before); a CAR-T
    # whose product is also a course is counted once
    fields: dict[str, Any] = {
        "treatments": [course("VRd", START, START + days(120), stop_reason="completed")],
        "procedures": [
            {"type": "car_t", "date": (START + days(400)).isoformat(), "best_response_after": "CR"}
        ],
        "progressions": [progression(START + days(300)), progression(START + days(700))],
    }
    a = assess(**fields)
    assert [c.line for c in a.courses] == [1, 2]
    assert a.courses[1].drugs == ("car-t cell therapy",)
    assert a.courses[1].best_response == "CR"
    assert position(**fields) == (2, 3)
    cilta = course("cilta-cel", START + days(400), START + days(400))
    both = {**fields, "treatments": [*fields["treatments"], cilta]}
    assert [c.line for c in assess(**both).courses] == [1, 2]


def test_a_relapsed_status_with_no_progression_listed_is_a_decision_about_line_2() -> None:
    # status "relapsed", one line, `progressions: []`: the status wins (as for the fact
    # `relapsed`) and the reason asks for the progression; it was line 1 "current" before
    fields: dict[str, Any] = {
        "status": "relapsed",
        "treatments": [course("VRd", START, START + days(120), stop_reason="completed")],
        "progressions": [],
    }
    assert position(**fields) == (1, 2)
    assert "no progression is recorded" in assess(**fields).get("prior_lines").why
    assert position(**{**fields, "status": None}) == (0, 1)


def test_a_newly_diagnosed_status_without_a_treatment_history_is_the_first_line() -> None:
    # the treatment history not recorded, but the record's status says newly diagnosed
    # (untreated, or on the first line without progression): 0 prior lines, line 1
    # (review r46-03); without the status both stay unknown
    assert position(status="newly_diagnosed", treatments=None) == (0, 1)
    assert position(treatments=None) == (None, None)


def test_a_corticosteroid_bridge_joins_the_regimen_started_within_the_window() -> None:
    """Review r65-06: dexamethasone alone for 18 days (waiting for reimbursement), then DRd
    as salvage: one line (IMWG regimen window), not two."""
    relapse = START + days(400)
    fields = {
        "treatments": [
            course("VMP", START, START + days(300), setting="induction"),
            course("dexamethasone", relapse + days(5), relapse + days(22), setting="other"),
            course("DRd", relapse + days(23), setting="salvage"),
        ],
        "procedures": [],
        "progressions": [progression(relapse)],
    }
    assert lines_of(**fields) == [1, 2, 2]
    # beyond the window the regimen is a line of its own
    late = dict(
        fields,
        treatments=[
            *fields["treatments"][:2],
            course("DRd", relapse + days(60), setting="salvage"),
        ],
    )
    assert lines_of(**late) == [1, 2, 3]


def test_a_salvage_course_resumed_after_mobilisation_continues_its_line() -> None:
    """Review r65-04: DRd paused for cyclophosphamide mobilisation and a collection, then
    restarted: still line 2."""
    relapse = START + days(600)
    fields = {
        "treatments": [
            course("VTd", START, START + days(90), setting="induction"),
            course("DRd", relapse + days(10), relapse + days(60), setting="salvage"),
            course("cyclophosphamide", relapse + days(64), relapse + days(64), setting="other"),
            course("DRd", relapse + days(90), setting="salvage"),
        ],
        "procedures": [
            asct(START + days(150)),
            {"type": "stem_cell_collection", "date": (relapse + days(77)).isoformat()},
        ],
        "progressions": [progression(relapse)],
    }
    assert lines_of(**fields) == [1, 2, 2, 2]
    assert position(**fields) == (1, 2)


def maintenance_stopped_for_progression(stop: dt.date) -> dict[str, Any]:
    """Lenalidomide maintenance from day 200 (after the ASCT of day 150) to ``stop``."""
    return course(
        "lenalidomide", START + days(200), stop, setting="maintenance", stop_reason="progression"
    )


def test_a_progression_documented_after_the_next_regimen_began_is_the_stop_it_caused() -> None:
    """Review r65-02 (dangerous): lenalidomide stopped for progression, DVd the next day,
    the progression documented nine days later: it was dated on DVd, so DVd was
    'refractory' and the decision a third line. It is the progression the maintenance was
    stopped for, dated on the stop."""
    stop = START + days(700)
    fields = {
        "treatments": [
            course("VCD", START, START + days(90), setting="induction"),
            maintenance_stopped_for_progression(stop),
            course("DVd", stop + days(1), setting="salvage"),
        ],
        "procedures": [asct(START + days(150))],
        "progressions": [progression(stop + days(10))],
    }
    a = assess(**fields)
    assert (a.value("prior_lines"), a.value("current_line")) == (1, 2)
    # DVd is running, its response not recorded: unknown (it was "refractory", True)
    assert a.value("anti_cd38_refractory") is None
    assert a.value("lenalidomide_refractory") is True
    assert "recorded on" in a.get("lenalidomide_refractory").why


def test_a_regimen_started_days_ago_is_not_refractory_for_want_of_a_response() -> None:
    """Review r69-02: DVd started on the decision day had no best response, so bortezomib and
    daratumumab refractoriness were unknown and DVd itself conditional. A course running for
    under 4 weeks (the operational drug-refractory minimum) cannot be non-response yet."""
    stop = START + days(700)
    treatments = [
        course("VTd", START, START + days(90), setting="induction", best_response="VGPR"),
        maintenance_stopped_for_progression(stop),
        course("DVd", stop + days(14), setting="salvage"),
    ]
    fields = {
        "treatments": treatments,
        "procedures": [asct(START + days(150))],
        "progressions": [progression(stop)],
    }
    today = assess(as_of=(stop + days(14)).isoformat(), **fields)
    assert today.value("anti_cd38_refractory") is False
    assert "too few to call it non-response" in today.get("anti_cd38_refractory").why
    # six weeks in, without a recorded response, non-response cannot be excluded
    later = assess(as_of=(stop + days(56)).isoformat(), **fields)
    assert later.value("anti_cd38_refractory") is None


def test_line_numbers_that_contradict_imwg_outright_are_refused() -> None:
    """Review r68: an EHR export numbering induction, transplant course and maintenance
    1, 2, 3 made a first relapse a decision about line 4 (the given line won). A given line
    still settles a reading (the window, a bridge) and may start from a higher number (lines
    not in the record), but it may not split what IMWG calls one line, nor join a course
    started after a progression to the line before."""
    import pytest

    from mmpath.record.errors import RecordError

    treatments = [
        course("VRd", START, START + days(100), setting="induction", line=1),
        course("lenalidomide", START + days(200), line=2),
    ]
    fields = {"treatments": treatments, "procedures": [asct(START + days(150))], "progressions": []}
    with pytest.raises(RecordError) as refused:
        lines_of(**fields)
    assert refused.value.problems[0].path == "treatments[1].line"
    assert "continues the line before it" in refused.value.problems[0].message
    # numbered from 3 (two earlier lines elsewhere): used, numbering goes on from it
    later = dict(fields, treatments=[dict(t, line=3) for t in treatments])
    assert lines_of(**later) == [3, 3]
    # a course after a progression given the same line as the one before: refused
    relapse = START + days(400)
    joined = {
        "treatments": [
            course("VRd", START, START + days(100), line=1),
            course("DVd", relapse + days(10), line=1),
        ],
        "procedures": [],
        "progressions": [progression(relapse)],
    }
    with pytest.raises(RecordError) as refused:
        lines_of(**joined)
    assert (
        "a course started after a progression begins a new line"
        in refused.value.problems[0].message
    )


def test_a_course_entered_twice_is_read_once_with_a_warning() -> None:
    # review r75-02, r68: EHR exports repeat a course (same drugs and dates); read twice it
    # doubled the induction cycles (8 cycles: recommendation 8's route on the Danish pathway)
    dvrd = {
        "regimen": "D-VRd",
        "setting": "induction",
        "start": "2025-01-06",
        "end": "2025-04-27",
        "cycles": 4,
    }
    facts = assess(
        treatments=[dvrd, dict(dvrd, regimen="Dara-VRd"), {"regimen": "R", "start": "2025-06-02"}],
        procedures=[],
        progressions=[],
    )
    assert [c.index for c in facts.courses] == [0, 2]
    assert facts.value("induction_cycles") == 4
    warning = facts.get("prior_lines").warnings
    assert len(warning) == 1 and "treatments[1] repeats treatments[0]" in warning[0]
    # a course of the same drugs with other dates is not a repeat
    other = assess(treatments=[dvrd, dict(dvrd, start="2025-05-04", end="2025-08-24")])
    assert [c.index for c in other.courses] == [0, 1]
    assert other.get("prior_lines").warnings == ()


def test_a_stop_for_progression_the_progressions_list_lacks_is_counted_and_flagged() -> None:
    # review r75-04: DRd stopped for progression, the record's only progression dated before
    # DRd began; the stop counts (third line), and the list's gap is said
    vtd = {"regimen": "VTd", "start": "2021-01-18", "end": "2021-04-30", "best_response": "VGPR"}
    drd = {"regimen": "DRd", "start": "2025-02-03", "end": "2026-06-15"}
    drd.update(stop_reason="progression", best_response="VGPR")
    facts = assess(treatments=[vtd, drd], progressions=[progression(dt.date(2025, 1, 20))])
    assert facts.value("prior_lines") == 2
    (warning,) = facts.get("prior_lines").warnings
    assert warning.startswith("treatments[1] stopped for progression on 2026-06-15")
    # listed: no warning; progressions not recorded: nothing to be incomplete
    listed = [progression(dt.date(2025, 1, 20)), progression(dt.date(2026, 6, 15))]
    assert assess(treatments=[vtd, drd], progressions=listed).get("prior_lines").warnings == ()
    assert assess(treatments=[vtd, drd]).get("prior_lines").warnings == ()


def test_a_maintenance_agent_after_a_completed_induction_continues_the_line() -> None:
    # review r83-06: lenalidomide alone five weeks after 9 cycles of VMP were completed, no
    # transplant, no progression: the line's maintenance, not a second line
    vmp = {"regimen": "VMP", "start": "2021-03-01", "end": "2021-12-10", "best_response": "PR"}
    lenalidomide = {"regimen": "lenalidomide", "start": "2022-01-17"}
    relapse = [progression(dt.date(2026, 10, 12), "biochemical")]
    completed = assess(
        treatments=[dict(vmp, stop_reason="completed"), lenalidomide], progressions=relapse
    )
    assert (completed.value("prior_lines"), completed.value("current_line")) == (1, 2)
    assert "read as the line's maintenance" in completed.courses[1].line_why
    # stopped for toxicity, or started four months later: a new line, as before
    toxic = assess(
        treatments=[dict(vmp, stop_reason="toxicity"), lenalidomide], progressions=relapse
    )
    assert toxic.value("prior_lines") == 2
    late = dict(lenalidomide, start="2022-04-15")
    later = assess(treatments=[dict(vmp, stop_reason="completed"), late], progressions=relapse)
    assert later.value("prior_lines") == 2


def test_a_progression_only_the_labs_show_starts_a_new_line() -> None:
    # review r95-11: no progressions recorded; VTD, ASCT, then DRd 2.6 years later after a
    # confirmed rise, then Isa-Pd after a second one. The record's own events alone read
    # DRd and Isa-Pd as the transplant line continuing ("after the ASCT, no progression").
    from records import assess, course, lab

    values = [("2020-01-13", 3.2), ("2020-10-19", 0.2), ("2021-06-14", 0.2), ("2022-06-13", 0.2)]
    values += [("2023-01-09", 0.8), ("2023-02-06", 1.1), ("2023-08-14", 0.1), ("2024-08-12", 0.1)]
    values += [("2025-12-01", 0.1), ("2026-02-02", 0.7), ("2026-02-23", 0.9)]
    labs = [lab(dt.date.fromisoformat(d), "serum_m_protein", v, "g/dL") for d, v in values]
    vtd = course("VTD", dt.date(2020, 2, 3), dt.date(2020, 5, 18), best_response="VGPR")
    drd = course("DRd", dt.date(2023, 2, 20), dt.date(2026, 2, 27))
    isapd = course("Isa-Pd", dt.date(2026, 3, 2))
    asct = [{"type": "autologous_sct", "date": "2020-07-20"}]
    a = assess(treatments=[vtd, drd, isapd], labs=labs, procedures=asct, as_of="2026-03-10")
    assert [c.line for c in a.courses] == [1, 2, 3]
    assert "confirmed progression the lab series shows on 2023-01-09" in a.courses[1].line_why
    assert "line 2 from 2023-02-20" in a.get("prior_lines").why
    # without the confirming values the rise is not progression: one line, as before
    unconfirmed = [x for x in labs if x["date"] not in ("2023-02-06", "2026-02-23")]
    b = assess(treatments=[vtd, drd, isapd], labs=unconfirmed, procedures=asct, as_of="2026-03-10")
    assert [c.line for c in b.courses] == [1, 1, 1]
    # a line number the record gives wins over the lab series (not an outright IMWG rule)
    given = [vtd, dict(drd, line=1), dict(isapd, line=1)]
    c = assess(treatments=given, labs=labs, procedures=asct, as_of="2026-03-10")
    assert [x.line for x in c.courses] == [1, 1, 1]
