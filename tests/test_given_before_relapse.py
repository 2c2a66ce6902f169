"""``<drug|class>_given_before_relapse`` (assess/refractoriness.py): the sources'
"eerder behandeld" / "previously treated" at a relapse — a course started before the relapse
being treated (the latest progression); the line a patient is on for it does not count."""

from __future__ import annotations

from typing import Any

from mmpath.assess import Assessment
from mmpath.record.load import parse_record

VTD = {"regimen": "VTD", "start": "2021-01-25", "end": "2021-05-10", "best_response": "VGPR"}
DRD = {"regimen": "DRd", "start": "2026-01-19", "best_response": "VGPR"}
RELAPSE = {"date": "2026-01-05", "type": "clinical"}


def value(name: str, **fields: Any) -> Any:
    record = {"schema_version": "1", "as_of": "2026-06-15", **fields}
    return Assessment(parse_record(record)).value(name)


def test_the_line_given_for_this_relapse_is_not_previous_treatment() -> None:
    fields: dict[str, Any] = {"treatments": [VTD, DRD], "progressions": [RELAPSE]}
    assert value("daratumumab_given_before_relapse", **fields) is False
    assert value("anti_cd38_given_before_relapse", **fields) is False
    assert value("bortezomib_given_before_relapse", **fields) is True
    assert value("pi_given_before_relapse", **fields) is True
    # ever exposed is unchanged (the summary's "exposed to")
    assert value("daratumumab_exposed", **fields) is True


def test_a_course_started_on_the_day_of_the_progression_is_its_treatment() -> None:
    same_day = {**DRD, "start": RELAPSE["date"]}
    assert (
        value(
            "daratumumab_given_before_relapse", treatments=[VTD, same_day], progressions=[RELAPSE]
        )
        is False
    )


def test_progressions_not_recorded_leave_a_later_course_open_never_flip_it() -> None:
    # without the progressions the relapse being treated is unknown: DRd may have come
    # before it (unknown), never "given before" (which removing data must not make known)
    assert value("daratumumab_given_before_relapse", treatments=[VTD, DRD]) is None
    # a drug never given stays false; a course before a known progression stays true
    assert value("carfilzomib_given_before_relapse", treatments=[VTD, DRD]) is False
    assert value("bortezomib_given_before_relapse", treatments=[VTD, DRD]) is None
    with_stop = [{**VTD, "stop_reason": "progression"}, DRD]
    assert value("bortezomib_given_before_relapse", treatments=with_stop) is True


def test_no_relapse_recorded_every_course_is_before() -> None:
    assert value("daratumumab_given_before_relapse", treatments=[VTD, DRD], progressions=[]) is True
