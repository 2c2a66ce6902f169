"""Decision points: the moments a treatment choice was made, and what was chosen.

- Every start of a line of therapy. Lines come from the fact layer's own derivation
  (``Assessment.courses``, assess/timeline.py: IMWG convention, 28-day regimen window);
  the regimen chosen is the union of the drugs of the line's courses that start within
  :data:`~mmpath.assess.timeline.REGIMEN_WINDOW_DAYS` of the line's first course (other
  than consolidation and maintenance) — registries often record one row per drug.
- For the first-line transplant pathway (packs with ``phases``, dk-ndmm-te), every
  phase transition of line 1: the line start is the *induction* decision; the first
  stem-cell collection (*mobilisation*), each autologous transplant (*transplant*: the
  first, then a tandem), the first consolidation course and the first maintenance course.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from mmpath.assess import Assessment
from mmpath.assess.timeline import REGIMEN_WINDOW_DAYS
from mmpath.catalogue import load_catalogue
from mmpath.record.model import PatientRecord

Event = Literal["line_start", "phase"]

PROCEDURE_PHASE = {"stem_cell_collection": "mobilisation", "autologous_sct": "transplant"}
PHASE_SETTINGS = ("consolidation", "maintenance")


@dataclass(frozen=True, slots=True)
class DecisionPoint:
    """One decision: on ``date`` the patient started ``drugs`` (a regimen) or ``procedure``."""

    date: dt.date
    event: Event
    line: int
    phase: str | None
    """The first-line pathway phase this decision enters (line 1 only), else None."""
    drugs: tuple[str, ...] = ()
    procedure: str | None = None
    ordinal: int = 1
    """For procedures: 1 for the first of its type, 2 for the second (tandem ASCT), ..."""

    @property
    def action(self) -> str:
        """The catalogue regimen id of the drug set (or the drugs joined), or the procedure."""
        if self.procedure is not None:
            return self.procedure
        regimen = load_catalogue().regimen_for_drugs(self.drugs)
        return regimen.id if regimen is not None else " - ".join(self.drugs)

    @property
    def sort_key(self) -> tuple[dt.date, int, str]:
        return (self.date, 0 if self.event == "line_start" else 1, self.phase or "")


def decision_points(record: PatientRecord) -> list[DecisionPoint]:
    """The decisions in a whole (not as-of) record, in date order."""
    if not record.treatments and not record.procedures:
        return []
    last = _last_date(record)
    facts = Assessment(record, today=last)
    courses = facts.courses
    points: list[DecisionPoint] = []
    lines = sorted({c.line for c in courses})
    line2_start: dt.date | None = None
    for line in lines:
        members = sorted((c for c in courses if c.line == line), key=lambda c: (c.start, c.index))
        start = members[0].start
        if line == 2:
            line2_start = start
        drugs = tuple(
            sorted(
                {
                    d
                    for c in members
                    if (c.start - start).days <= REGIMEN_WINDOW_DAYS
                    and c.setting not in PHASE_SETTINGS
                    for d in c.drugs
                }
                or set(members[0].drugs)
            )
        )
        points.append(
            DecisionPoint(start, "line_start", line, "induction" if line == 1 else None, drugs)
        )
    first_line = [c for c in courses if c.line == 1]
    if first_line:
        begin = min(c.start for c in first_line)

        def in_line_1(day: dt.date) -> bool:
            return day > begin and (line2_start is None or day < line2_start)

        counts: dict[str, int] = {}
        for p in sorted(record.procedures or [], key=lambda p: p.date):
            phase = PROCEDURE_PHASE.get(p.type)
            if phase is None or not in_line_1(p.date):
                continue
            counts[p.type] = counts.get(p.type, 0) + 1
            if p.type == "stem_cell_collection" and counts[p.type] > 1:
                continue
            points.append(
                DecisionPoint(p.date, "phase", 1, phase, procedure=p.type, ordinal=counts[p.type])
            )
        for setting in PHASE_SETTINGS:
            chosen = [c for c in first_line if c.setting == setting]
            if chosen:
                first = min(chosen, key=lambda c: (c.start, c.index))
                drugs = tuple(
                    sorted(
                        {
                            d
                            for c in chosen
                            if (c.start - first.start).days <= REGIMEN_WINDOW_DAYS
                            for d in c.drugs
                        }
                    )
                )
                points.append(DecisionPoint(first.start, "phase", 1, setting, drugs))
    return sorted(points, key=lambda p: p.sort_key)


def _last_date(record: PatientRecord) -> dt.date:
    days = [t.start for t in record.treatments or []]
    days += [t.end for t in record.treatments or [] if t.end]
    days += [p.date for p in record.procedures or []]
    days += [p.date for p in record.progressions or []]
    days += [lab.date for lab in record.labs or []]
    return max(days)
