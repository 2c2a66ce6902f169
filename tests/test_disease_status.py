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
