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
