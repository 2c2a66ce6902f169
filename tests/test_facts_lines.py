"""Lines of therapy derived from the treatment timeline (IMWG convention, 28-day window)."""

from __future__ import annotations

import datetime as dt

from mmpath.assess.timeline import REGIMEN_WINDOW_DAYS
from records import assess, course, days, progression, value

START = dt.date(2023, 1, 10)


def test_induction_asct_maintenance_is_one_line() -> None:
    fields = {
        "treatments": [
            course("VTd", START, START + days(100), setting="induction"),
            course("VTd", START + days(200), START + days(250), setting="consolidation"),
            course("lenalidomide", START + days(270), setting="maintenance"),
        ],
        "procedures": [{"type": "autologous_sct", "date": (START + days(150)).isoformat()}],
        "progressions": [],
    }
    assert value("prior_lines", **fields) == 1


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
    assert value("prior_lines", **fields) == 2


def test_maintenance_after_progression_starts_a_new_line() -> None:
    p = START + days(300)
    fields = {
        "treatments": [
            course("VRd", START, START + days(180)),
            course("lenalidomide", p + days(5), setting="maintenance"),
        ],
        "progressions": [progression(p)],
    }
    assert value("prior_lines", **fields) == 2


def test_drug_added_within_28_days_belongs_to_the_line() -> None:
    fields = {
        "treatments": [
            course("Vd", START, START + days(120)),
            course("daratumumab", START + days(REGIMEN_WINDOW_DAYS), START + days(120)),
        ],
        "progressions": [],
    }
    assert REGIMEN_WINDOW_DAYS == 28
    assert value("prior_lines", **fields) == 1


def test_drug_added_after_28_days_starts_a_new_line() -> None:
    fields = {
        "treatments": [
            course("Vd", START, START + days(120)),
            course("daratumumab", START + days(REGIMEN_WINDOW_DAYS + 1), START + days(120)),
        ],
        "progressions": [],
    }
    assert value("prior_lines", **fields) == 2


def test_given_line_wins_over_the_window() -> None:
    fields = {
        "treatments": [
            course("VCD", START, START + days(100), line=1),
            course("PVd", START + days(400), line=1),
        ],
        "progressions": [],
    }
    assert value("prior_lines", **fields) == 1


def test_numbering_continues_from_a_given_line() -> None:
    a = assess(
        treatments=[
            course("VCD", START, START + days(100), line=2),
            course("Kd", START + days(400)),
        ],
        progressions=[],
    )
    assert [c.line for c in a.courses] == [2, 3]


def test_given_line_numbers_count_earlier_unrecorded_lines() -> None:
    # only the latest course is entered, numbered by the clinician as the third line
    assert value("prior_lines", treatments=[course("Kd", START, line=3)], progressions=[]) == 3


def test_no_treatments_is_zero_lines_and_absent_history_unknown() -> None:
    assert value("prior_lines", treatments=[]) == 0
    assert value("prior_lines") is None


def test_course_stopped_for_progression_ends_the_line() -> None:
    stop = START + days(200)
    fields = {
        "treatments": [
            course("VRd", START, stop, stop_reason="progression"),
            course("Kd", stop + days(5)),
        ]
    }
    assert value("prior_lines", **fields) == 2
