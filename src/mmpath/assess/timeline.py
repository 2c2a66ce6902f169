"""The patient's treatment timeline: courses, progression events and lines of therapy.

Lines of therapy (shared/reference/clinical-definitions.md, "Lines of therapy"; IMWG
convention, Rajkumar et al., Blood 2015;126:921): courses started within
:data:`REGIMEN_WINDOW_DAYS` of a line's first course belong to that line;
consolidation and maintenance continue the line they follow (induction + ASCT +
consolidation + maintenance are one line); any other new course, or any course started
after a progression (recorded, or the end of a course stopped for progression), starts a
new line. A ``line`` given in the record wins and
numbering continues from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mmpath.record.model import CLINICAL_FEATURES, PatientRecord

REGIMEN_WINDOW_DAYS = 28
"""Drugs started within this many days of a line's first course form one regimen."""


RESPONSE_RANK = {"sCR": 6, "CR": 5, "VGPR": 4, "PR": 3, "MR": 2, "SD": 1, "PD": 0}


@dataclass(frozen=True, slots=True)
class Course:
    index: int
    regimen: str
    drugs: tuple[str, ...]
    start: dt.date
    end: dt.date | None
    setting: str | None
    best_response: str | None
    stop_reason: str | None
    line: int

    def last_day(self, as_of: dt.date) -> dt.date:
        return self.end if self.end is not None else as_of

    def on_therapy(self, day: dt.date, as_of: dt.date) -> bool:
        return self.start <= day <= self.last_day(as_of)

    def label(self) -> str:
        end = self.end.isoformat() if self.end else "ongoing"
        setting = f" {self.setting}" if self.setting else ""
        return f"{self.regimen}{setting} ({self.start.isoformat()} to {end})"


@dataclass(frozen=True, slots=True)
class ProgressionEvent:
    date: dt.date
    type: str | None  # "biochemical" | "clinical" | None (type not recorded)
    features: frozenset[str]
    source: str  # "progressions[0]", "labs: serum_m_protein", "treatments[2].stop_reason"

    @property
    def clinical(self) -> bool | None:
        if self.type == "clinical" or self.features & CLINICAL_FEATURES:
            return True
        if self.type == "biochemical":
            return False
        return None


def build_courses(record: PatientRecord) -> tuple[Course, ...]:
    raw = sorted(enumerate(record.treatments or []), key=lambda item: (item[1].start, item[0]))
    events = [p.date for p in record.progressions or []]
    # a course stopped for progression is a progression at its end (as in recorded_events)
    events += [t.end for t in record.treatments or [] if t.stop_reason == "progression" and t.end]
    courses: list[Course] = []
    line = 0
    line_start: dt.date | None = None
    for index, t in raw:
        progressed_since = line_start is not None and any(line_start < d <= t.start for d in events)
        continues = (
            line_start is not None
            and not progressed_since
            and (
                t.setting in {"consolidation", "maintenance"}
                or (t.start - line_start).days <= REGIMEN_WINDOW_DAYS
            )
        )
        if t.line is not None:
            if t.line != line:
                line_start = t.start
            line = t.line
        elif not continues:
            line += 1
            line_start = t.start
        courses.append(
            Course(
                index=index,
                regimen=t.regimen or " - ".join(t.drug_set()),
                drugs=t.drug_set(),
                start=t.start,
                end=t.end,
                setting=t.setting,
                best_response=t.best_response,
                stop_reason=t.stop_reason,
                line=line,
            )
        )
    return tuple(courses)


def recorded_events(record: PatientRecord, courses: tuple[Course, ...]) -> list[ProgressionEvent]:
    """Progressions given in the record, and courses stopped for progression."""
    events = [
        ProgressionEvent(p.date, p.type, frozenset(p.features or ()), f"progressions[{i}]")
        for i, p in enumerate(record.progressions or [])
    ]
    dates = {e.date for e in events}
    for c in courses:
        if c.stop_reason == "progression" and c.end is not None and c.end not in dates:
            events.append(
                ProgressionEvent(c.end, None, frozenset(), f"treatments[{c.index}].stop_reason")
            )
    return events


def months_between(start: dt.date, end: dt.date) -> float:
    """Elapsed months (mean Gregorian month, 30.4375 days)."""
    return (end - start).days / 30.4375
