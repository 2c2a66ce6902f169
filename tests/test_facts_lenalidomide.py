"""Lenalidomide retreatment (seed 000): relapse > 1 year after stopping, with VGPR or better."""

from __future__ import annotations

import datetime as dt

from records import course, days, progression, value

STOP = dt.date(2024, 6, 30)
VRD = course("VRd", dt.date(2024, 1, 10), STOP, best_response="VGPR")


def test_more_than_a_year_with_vgpr_allows_retreatment() -> None:
    assert (
        value(
            "lenalidomide_retreatment_possible",
            treatments=[VRD],
            progressions=[progression(STOP + days(366))],
        )
        is True
    )


def test_a_year_or_less_does_not() -> None:
    assert (
        value(
            "lenalidomide_retreatment_possible",
            treatments=[VRD],
            progressions=[progression(STOP + days(365))],
        )
        is False
    )


def test_partial_response_does_not() -> None:
    pr = course("VRd", dt.date(2024, 1, 10), STOP, best_response="PR")
    assert (
        value(
            "lenalidomide_retreatment_possible",
            treatments=[pr],
            progressions=[progression(STOP + days(800))],
        )
        is False
    )


def test_unknown_history_is_unknown() -> None:
    assert value("lenalidomide_retreatment_possible") is None
    assert value("lenalidomide_retreatment_possible", treatments=[]) is False


def test_short_gap_without_a_progression_list_is_unknown() -> None:
    # the only known progression is 100 days after stopping (a course stopped for it);
    # without a progression list the relapse being treated may be a later one
    kd = course("Kd", STOP + days(20), STOP + days(100), stop_reason="progression")
    fields = {"treatments": [VRD, kd]}
    assert value("lenalidomide_retreatment_possible", **fields) is None
    assert value("lenalidomide_retreatment_possible", progressions=[], **fields) is False
