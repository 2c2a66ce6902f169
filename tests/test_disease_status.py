"""Relapsed / refractory status from the timeline."""

from __future__ import annotations

from typing import Any

from mmpath.assess import Assessment
from mmpath.record.load import parse_record


def facts(**fields: Any) -> Assessment:
    return Assessment(parse_record({"schema_version": "1", "as_of": "2026-11-01", **fields}))


def test_primary_refractory_counts_as_relapsed_or_refractory() -> None:
    a = facts(
        treatments=[
            {"regimen": "VRd", "start": "2026-03-01", "end": "2026-06-01", "best_response": "PD"}
        ],
        progressions=[],
    )
    assert a.value("relapsed") is True
    assert "progressive disease as best response" in a.get("relapsed").why


def test_no_treatment_is_not_relapsed_and_missing_history_is_unknown() -> None:
    assert facts(treatments=[]).value("relapsed") is False
    assert facts().value("relapsed") is None


def test_record_status_wins_over_the_derivation() -> None:
    a = facts(status="relapsed", treatments=[])
    assert a.value("relapsed") is True and "record status" in a.get("relapsed").why


def test_progressions_not_recorded_leave_relapse_unknown() -> None:
    a = facts(treatments=[{"regimen": "VRd", "start": "2025-01-01", "end": "2025-05-01"}])
    assert a.value("relapsed") is None


MAINTENANCE = [
    {
        "regimen": "VTd",
        "setting": "induction",
        "start": "2022-01-10",
        "end": "2022-04-01",
        "best_response": "VGPR",
    },
    {"regimen": "lenalidomide", "setting": "maintenance", "start": "2022-09-01"},
]


def _serum(*points: tuple[str, float]) -> list[dict[str, Any]]:
    first = [{"date": "2022-01-03", "test": "serum_m_protein", "value": 3.0, "unit": "g/dL"}]
    return first + [
        {"date": d, "test": "serum_m_protein", "value": v, "unit": "g/dL"} for d, v in points
    ]


def test_a_course_stopped_for_a_recorded_progression_is_that_progression() -> None:
    """One event, not two: the course's end (the day after) must not hide the recorded type
    (class: relapse type unknown although the record says clinical)."""
    for gap_days, end in ((1, "2026-09-16"), (31, "2026-10-16"), (-20, "2026-08-26")):
        a = facts(
            treatments=[
                MAINTENANCE[0],
                {**MAINTENANCE[1], "end": end, "stop_reason": "progression"},
            ],
            progressions=[{"date": "2026-09-15", "type": "clinical", "features": ["anemia"]}],
        )
        events = [e for e in a.progression_events if e.date.year == 2026]
        assert len(events) == 1, gap_days
        assert a.value("clinical_relapse") is True
    # a progression recorded during the course, acted on five weeks later: still that one
    a = facts(
        treatments=[
            MAINTENANCE[0],
            {**MAINTENANCE[1], "end": "2026-10-20", "stop_reason": "progression"},
        ],
        progressions=[{"date": "2026-09-15", "type": "clinical"}],
    )
    assert len([e for e in a.progression_events if e.date.year == 2026]) == 1
    # recorded more than SAME_EVENT_DAYS after the stop: two events, the stop's of unknown type
    a = facts(
        treatments=[
            MAINTENANCE[0],
            {**MAINTENANCE[1], "end": "2026-08-01", "stop_reason": "progression"},
        ],
        progressions=[{"date": "2026-09-15", "type": "clinical"}],
    )
    assert len([e for e in a.progression_events if e.date.year == 2026]) == 2


def test_a_current_lab_series_without_progression_means_not_relapsed() -> None:
    """progressions not recorded: the lab series is the source when it follows the disease
    up to the decision date (class: relapsed unknown instead of false)."""
    labs = _serum(("2026-05-04", 0.6), ("2026-07-06", 0.6), ("2026-10-05", 0.7))
    a = facts(treatments=MAINTENANCE, labs=labs)
    assert a.value("progressive_disease") is False
    assert a.value("relapsed") is False  # maintenance continues the induction's VGPR
    assert (a.value("prior_lines"), a.value("current_line")) == (0, 1)
    # the same series ending more than LAB_FOLLOW_UP_DAYS before the decision: unknown
    stale = facts(treatments=MAINTENANCE, labs=labs, as_of="2027-03-01")
    assert stale.value("relapsed") is None and stale.value("prior_lines") is None
    # a single assessment since the line started cannot tell either
    one = facts(treatments=MAINTENANCE, labs=_serum(("2026-10-05", 0.7)))
    assert one.value("relapsed") is None


def test_an_unconfirmed_rise_is_not_progression_and_says_so() -> None:
    labs = _serum(("2026-06-01", 0.5), ("2026-08-31", 0.5), ("2026-10-20", 1.4))
    a = facts(treatments=MAINTENANCE, labs=labs)
    pd = a.get("progressive_disease")
    assert pd.value is False and "unconfirmed" in pd.why
    assert any("unconfirmed" in w for w in a.get("current_line").warnings)
    confirmed = facts(treatments=MAINTENANCE, labs=[*labs, *_serum(("2026-10-28", 1.5))[1:]])
    assert confirmed.value("progressive_disease") is True


def _dflc(kappa_after: float) -> list[dict[str, Any]]:
    out = [{"date": "2022-01-03", "test": "serum_m_protein", "value": 0, "unit": "g/dL"}]
    for day, kappa in (
        ("2025-10-06", 25),
        ("2026-01-05", 25),
        ("2026-04-06", kappa_after),
        ("2026-06-08", kappa_after),
    ):
        out += [
            {"date": day, "test": "flc_kappa", "value": kappa, "unit": "mg/L"},
            {"date": day, "test": "flc_lambda", "value": 12, "unit": "mg/L"},
        ]
    return out


def test_dflc_rise_of_exactly_100_is_not_progression_but_is_flagged() -> None:
    """IMWG 2016 "> 100 mg/L" against seed 001 "≥100 mg/L": the boundary is shown."""
    common = {"treatments": MAINTENANCE, "diagnosis": {"isotype": "kappa light chain"}}
    at = facts(labs=_dflc(125), as_of="2026-07-06", **common)
    assert at.value("progressive_disease") is False
    assert any("100 mg/L" in w for w in at.get("relapsed").warnings)
    above = facts(labs=_dflc(126), as_of="2026-07-06", **common)
    assert above.value("progressive_disease") is True
    assert not any("boundary" in w for w in above.get("relapsed").warnings)


def test_a_light_chain_rise_while_the_serum_m_protein_is_followed_is_left_to_the_clinician() -> (
    None
):
    """Review r59-05: serum M-protein measurable at diagnosis (3.1 g/dL), 0 since; dFLC
    rises by > 100 mg/L, confirmed (light-chain escape). By the letter of IMWG 2016 the
    light chains count only when serum and urine are not measurable, and mmpath said "not
    relapsed: the series shows no progression" — silently. Now progression is unknown with
    progressions not recorded, and a warning names the rise either way."""
    labs = [
        {"date": "2020-06-03", "test": "serum_m_protein", "value": 3.1, "unit": "g/dL"},
        *_dflc(150)[1:],
        *_serum(("2025-10-06", 0), ("2026-01-05", 0), ("2026-04-06", 0), ("2026-06-08", 0)),
    ]
    common = {
        "treatments": MAINTENANCE,
        "diagnosis": {"isotype": "IgG kappa"},
        "labs": labs,
        "as_of": "2026-07-06",
    }
    unknown = facts(**common)
    pd = unknown.get("progressive_disease")
    assert pd.value is None and "light-chain escape" in pd.why
    assert unknown.value("relapsed") is None and unknown.value("prior_lines") is None
    listed = facts(progressions=[], **common)
    assert listed.value("progressive_disease") is False  # the record's list is the answer
    assert any("light-chain escape" in w for w in listed.get("relapsed").warnings)
    # a recorded progression at that time settles it: no warning
    settled = facts(progressions=[{"date": "2026-04-06", "type": "biochemical"}], **common)
    assert settled.value("relapsed") is True
    assert not any("light-chain escape" in w for w in settled.get("relapsed").warnings)
    # so does a progression later in the same line (the serum caught up)
    later = facts(progressions=[{"date": "2026-06-30", "type": "clinical"}], **common)
    assert not any("light-chain escape" in w for w in later.get("relapsed").warnings)


def test_a_recorded_progression_settles_an_unconfirmed_rise() -> None:
    """No 'repeat the measurement' warning when the clinician recorded the progression."""
    labs = _serum(("2026-06-01", 0.5), ("2026-08-31", 0.5), ("2026-10-20", 1.4))
    a = facts(treatments=MAINTENANCE, labs=labs, progressions=[progression_on("2026-10-22")])
    assert a.value("progressive_disease") is True
    assert not any("unconfirmed" in w for w in a.get("current_line").warnings)


def progression_on(day: str) -> dict[str, Any]:
    return {"date": day, "type": "clinical", "features": ["anemia"]}


def _stopped_after(progression_day: str, stop_day: str) -> Assessment:
    return facts(
        treatments=[
            {"regimen": "VTd", "start": "2023-01-02", "end": "2023-04-01", "best_response": "VGPR"},
            {
                "regimen": "R",
                "setting": "maintenance",
                "start": "2023-08-01",
                "end": stop_day,
                "best_response": "VGPR",
                "stop_reason": "progression",
            },
        ],
        progressions=[{"date": progression_day, "type": "biochemical"}],
    )


def test_a_course_stopped_for_a_recorded_progression_adds_no_second_untyped_event() -> None:
    # the maintenance stopped the day after, or two months after, the recorded progression:
    # the recorded event (with its type) is the current one, not the stop date
    for progression_day, stop_day in (("2026-10-15", "2026-10-16"), ("2026-08-20", "2026-10-20")):
        a = _stopped_after(progression_day, stop_day)
        assert [e.source for e in a.progression_events] == ["progressions[0]"]
        assert a.value("biochemical_relapse") is True, (progression_day, stop_day)
        assert a.value("lenalidomide_refractory") is True


def test_a_stop_for_progression_without_a_recorded_one_in_the_course_stays_an_event() -> None:
    # the only recorded progression came before the course: the stop is a progression of its own
    b = facts(
        treatments=[
            {
                "regimen": "Rd",
                "start": "2024-01-02",
                "end": "2026-10-16",
                "stop_reason": "progression",
            }
        ],
        progressions=[{"date": "2023-06-01", "type": "biochemical"}],
    )
    assert [e.source for e in b.progression_events] == [
        "progressions[0]",
        "treatments[0].stop_reason",
    ]


def test_a_lab_series_does_not_rule_out_primary_refractory_disease_it_does_not_rate() -> None:
    """A followed series without progression says 'not relapsed' only when every course has
    a best response (own, or reached earlier in the line for maintenance): progressive
    disease as best response (primary refractory, IMWG) is otherwise not excluded."""
    labs = _serum(("2026-03-06", 0.0), ("2026-07-01", 0.0), ("2026-10-01", 0.0))
    unrated = [{"regimen": "VRd", "start": "2025-09-27", "end": "2025-10-17"}]
    assert facts(treatments=unrated, labs=labs).value("relapsed") is None
    rated = [{**unrated[0], "best_response": "VGPR"}]
    assert facts(treatments=rated, labs=labs).value("relapsed") is False
    refractory = [{**unrated[0], "best_response": "PD"}]
    assert facts(treatments=refractory, labs=labs).value("relapsed") is True


def test_a_line_split_an_unrecorded_asct_could_undo_does_not_hide_progression() -> None:
    """Without procedures, VTd after VRd starts a new line only because it adds a drug; after
    an ASCT it would continue line 1, and over line 1 the series shows a confirmed progression:
    progressive disease is unknown, not 'no' (Kleene: missing data never decides)."""
    treatments = [
        {"regimen": "VRd", "start": "2025-04-04", "end": "2025-04-24"},
        {"regimen": "VTd", "start": "2026-06-25", "end": "2026-07-15"},
    ]
    labs = _serum(
        ("2025-06-07", 0.0), ("2025-10-13", 0.0), ("2026-04-23", 0.0),
        ("2026-06-26", 1.0), ("2026-08-29", 1.0),
    )  # fmt: skip
    unsure = facts(treatments=treatments, labs=labs)
    pd = unsure.get("progressive_disease")
    assert pd.value is None and "procedures not recorded" in pd.why
    asct = [{"type": "autologous_sct", "date": "2026-06-25"}]
    assert facts(treatments=treatments, labs=labs, procedures=asct).value("progressive_disease")
    # with the procedures recorded (none), the split is known and the nadir restarts
    known = facts(treatments=treatments, labs=labs, procedures=[])
    assert known.value("progressive_disease") is False


def test_an_unrecorded_response_earlier_in_the_line_leaves_an_sd_consolidation_open() -> None:
    # Found by the Kleene property (explore profile): VRd with sCR, VRd with SD, then VTd
    # consolidation with SD, progressions not recorded. Without the first response the line's
    # earlier best looked like SD (non-response: thalidomide refractory) although the missing
    # response may have reached MR; it is unknown, as it is with the sCR recorded
    courses = [
        {"regimen": "VRd", "start": "2025-09-27", "end": "2025-10-17"},
        {"regimen": "VRd", "start": "2025-09-28", "end": "2025-10-18", "best_response": "SD"},
        {
            "regimen": "VTd",
            "start": "2025-09-29",
            "end": "2025-10-19",
            "setting": "consolidation",
            "best_response": "SD",
        },
    ]
    assert facts(treatments=courses).value("thalidomide_refractory") is None
    courses[0]["best_response"] = "SD"
    assert facts(treatments=courses).value("thalidomide_refractory") is True


def _rd(best_response: str | None = None, end: str = "2026-05-10") -> list[dict[str, Any]]:
    course: dict[str, Any] = {
        "regimen": "Rd",
        "setting": "induction",
        "start": "2026-01-12",
        "end": end,
        "stop_reason": "other",
    }
    if best_response is not None:
        course["best_response"] = best_response
    return [course]


def _on_rd(*values: float) -> list[dict[str, Any]]:
    days = ("2026-01-05", "2026-02-09", "2026-03-09", "2026-04-06", "2026-05-04")
    return [
        {"date": d, "test": "serum_m_protein", "value": v, "unit": "g/dL"}
        for d, v in zip(days, values, strict=False)
    ]


def test_a_line_that_ended_without_response_is_refractory_and_relapsed() -> None:
    """Review r61-07: Bd stopped at SD with no progression: prior_lines said "line 1 failed"
    while relapsed said no, so the relapse guidelines did not apply. Non-response is
    refractoriness (IMWG); the first line still goes on for a transplant pathway."""
    a = facts(treatments=_rd("SD"), progressions=[], as_of="2026-05-25")
    assert a.value("relapsed") is True and "minimal response" in a.get("relapsed").why
    assert a.value("newly_diagnosed") is True  # no progression: HDT may still follow
    assert (a.value("prior_lines"), a.value("current_line")) == (1, 2)


def test_no_response_read_from_the_serum_m_protein() -> None:
    """Review r61-01: Rd stopped after four cycles, best response not recorded, serum
    M-protein 3.0 -> lowest 2.7 g/dL (-10 %): no minimal response (needs -25 %), so
    lenalidomide-refractory and relapsed; it was "refractory to none", "not relapsed"."""
    a = facts(
        treatments=_rd(), progressions=[], labs=_on_rd(3.0, 2.8, 2.7, 2.75, 2.8), as_of="2026-05-25"
    )
    assert a.value("lenalidomide_refractory") is True
    assert "no response by the serum M-protein" in a.get("lenalidomide_refractory").why
    assert a.value("relapsed") is True
    # a fall of 25 % is a response (at least possibly): not derived, stays unknown
    responding = facts(
        treatments=_rd(), progressions=[], labs=_on_rd(3.0, 2.5, 2.25, 2.2, 2.2), as_of="2026-05-25"
    )
    assert responding.value("lenalidomide_refractory") is None
    # a recorded best response wins over the series
    recorded = facts(
        treatments=_rd("PR"), progressions=[], labs=_on_rd(3.0, 2.8, 2.7), as_of="2026-05-25"
    )
    assert recorded.value("lenalidomide_refractory") is False
    # not measurable at baseline (< 1 g/dL), no baseline within a month, or no measurement
    # four weeks into the course: the series cannot tell
    for labs in (
        _on_rd(0.8, 0.8, 0.75, 0.75, 0.8),
        _on_rd(3.0, 2.8, 2.7)[1:],
        [
            *_on_rd(3.0),
            {"date": "2026-02-02", "test": "serum_m_protein", "value": 2.9, "unit": "g/dL"},
        ],
    ):
        assert (
            facts(treatments=_rd(), progressions=[], labs=labs, as_of="2026-05-25").value(
                "lenalidomide_refractory"
            )
            is None
        )
    # a course still running may respond yet
    ongoing = [{k: v for k, v in c.items() if k not in ("end", "stop_reason")} for c in _rd()]
    running = facts(
        treatments=ongoing, progressions=[], labs=_on_rd(3.0, 2.8, 2.7), as_of="2026-05-25"
    )
    assert running.value("lenalidomide_refractory") is None


def test_a_rise_in_a_never_measurable_serum_series_is_named_not_counted() -> None:
    """Review r69-07: 0.3 -> 0.8 -> 0.9 g/dL after VMP, the diagnosis value not recorded: no
    series is measurable (>= 1 g/dL) in the record, so progression stays unknown, but the
    reason names the rise that would be progression if the disease was measurable."""
    labs = [
        {"date": d, "test": "serum_m_protein", "value": v, "unit": "g/dL"}
        for d, v in (
            ("2025-03-06", 0.3),
            ("2025-09-01", 0.3),
            ("2026-05-04", 0.4),
            ("2026-09-01", 0.8),
            ("2026-10-20", 0.9),
        )
    ]
    vmp = [{"regimen": "VMP", "setting": "induction", "start": "2021-12-01", "end": "2022-12-18"}]
    pd = facts(treatments=vmp, labs=labs).get("progressive_disease")
    assert pd.value is None
    assert "rose from confirmed nadir 0.3 to 0.8 g/dL" in pd.why
    assert "if the disease was measurable" in pd.why
    flat = facts(treatments=vmp, labs=labs[:3]).get("progressive_disease")
    assert flat.value is None and "rose from" not in flat.why


def test_an_asserted_disease_status_is_read_as_the_records_status() -> None:
    # review r81 (found checking the clinician's statements): asserting `relapsed` left
    # `newly_diagnosed` true and the line count at the first line, and an asserted
    # progressive disease left `relapsed` false at prior_lines 1
    import pytest

    from mmpath.record.errors import RecordError
    from records import assess

    induction = {"regimen": "VRd", "setting": "induction", "start": "2026-05-01"}
    induction.update(end="2026-08-01", best_response="VGPR")
    base = {"treatments": [induction], "progressions": []}
    names = ("relapsed", "newly_diagnosed", "prior_lines", "current_line")
    stated = assess(**base, status="relapsed")
    for asserted in ({"relapsed": True}, {"newly_diagnosed": False}):
        facts = assess(**base, asserted=asserted)
        assert [facts.value(n) for n in names] == [stated.value(n) for n in names]
        assert [facts.value(n) for n in names] == [True, False, 1, 2]
    facts = assess(**base, asserted={"progressive_disease": True})
    assert (facts.value("relapsed"), facts.value("newly_diagnosed")) == (True, False)
    with pytest.raises(RecordError) as refused:
        assess(**base, status="newly_diagnosed", asserted={"relapsed": True})
    assert {p.path for p in refused.value.problems} == {"status", "asserted.relapsed"}
