"""Grouping drug exposures into treatment courses (one course = one regimen).

FHIR holds medications one drug at a time (often one resource per dose); the record
holds courses of a regimen. The rule, in two steps:

1. **One drug, one period.** Exposures of the same drug whose dates overlap or are at
   most :data:`GAP_DAYS` apart form one period. Longer gaps start a new period. The
   clinical definitions give no number for a gap; 60 days is the IMWG refractoriness
   window (progression within 60 days of the last dose counts as on the drug,
   reference/clinical-definitions.md), so a split here never moves a progression from
   "on the drug" to "off it".
2. **One regimen, the drugs started together.** Drug periods starting within
   :data:`REGIMEN_WINDOW_DAYS` of the first drug of a course join that course
   ("drugs started within a regimen-defining window (commonly 28 days) of the line's
   first drug form one regimen", reference/clinical-definitions.md, lines of therapy).
   A drug starting later starts a new course.
3. **A drug continued alone after a break is a new course.** When every other drug of
   a course has stopped and one drug starts again after a break of more than
   :data:`CONTINUATION_BREAK_DAYS` (VRd induction, then lenalidomide maintenance), the
   restart begins a new course. The break must exceed the rest week of 28-day schedules
   (lenalidomide or pomalidomide on days 1-21: 8 days between the last dose of a cycle
   and the first of the next; 10 leaves room for a delayed cycle), so the last cycles of a regimen whose other drugs
   stopped earlier stay in the regimen.

The course's regimen is the catalogue regimen with exactly its drug set (``KRd``); a
drug set the catalogue does not name is kept as a list of drugs. A course is ongoing
when any of its drugs is; its stop reason is the one its drugs agree on.

Drugs are listed in the conventional order of regimen names (antibodies and other
targeted agents, proteasome inhibitors, IMiDs, cytotoxics, corticosteroids last).

4. **A drug stopped for a reason while its partners go on ends the course.** When one
   drug of a course stops with a recorded reason (bortezomib dropped from VRd for
   neuropathy) and every other drug has a record starting after that day, the course
   ends there with that reason and the partners' later records form the next course
   (Rd). A partner recorded as one record that runs past that day (daratumumab
   maintenance given on after lenalidomide stopped for toxicity) is cut there the same way,
   so the stop reason is not lost in a course that is still running. Lines of therapy are the fact layer's business: stopping one drug of a
   combination does not start a new line (IMWG, reference/clinical-definitions.md).

Known limits (the import report says the courses were grouped by this rule): a steroid
given without a break across two regimens is one period and joins only the first; a
drug continued without any break after its partners stop stays in their course.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from mmpath.fhir.report import Source

GAP_DAYS = 60
REGIMEN_WINDOW_DAYS = 28
CONTINUATION_BREAK_DAYS = 10


@dataclass(frozen=True, slots=True)
class Exposure:
    drug: str
    start: dt.date
    end: dt.date | None  # None: ongoing
    stop_reason: str | None
    source: Source
    ordered_only: bool = False  # from a MedicationRequest (an order, not a record of giving)


@dataclass
class DrugPeriod:
    drug: str
    start: dt.date
    end: dt.date | None
    exposures: list[Exposure] = field(default_factory=list)


@dataclass
class Course:
    start: dt.date
    periods: list[DrugPeriod] = field(default_factory=list)

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.drug for p in self.periods))

    @property
    def end(self) -> dt.date | None:
        ends = [p.end for p in self.periods]
        return None if any(e is None for e in ends) else max(e for e in ends if e is not None)

    @property
    def exposures(self) -> list[Exposure]:
        return [e for p in self.periods for e in p.exposures]

    @property
    def stop_reasons(self) -> set[str]:
        return {e.stop_reason for e in self.exposures if e.stop_reason is not None}


def drug_periods(exposures: list[Exposure]) -> list[DrugPeriod]:
    """Step 1: merge exposures of each drug separated by at most ``GAP_DAYS``."""
    periods: list[DrugPeriod] = []
    by_drug: dict[str, list[Exposure]] = {}
    for exposure in exposures:
        by_drug.setdefault(exposure.drug, []).append(exposure)
    for drug in sorted(by_drug):
        current: DrugPeriod | None = None
        for exposure in sorted(by_drug[drug], key=lambda e: (e.start, e.source.where)):
            joins = current is not None and (
                current.end is None or (exposure.start - current.end).days <= GAP_DAYS
            )
            if current is not None and joins:
                current.exposures.append(exposure)
                if current.end is not None:
                    current.end = None if exposure.end is None else max(current.end, exposure.end)
                continue
            current = DrugPeriod(drug, exposure.start, exposure.end, [exposure])
            periods.append(current)
    return periods


def _period(drug: str, exposures: list[Exposure]) -> DrugPeriod:
    ends = [e.end for e in exposures]
    end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return DrugPeriod(drug, exposures[0].start, end, exposures)


def _split_continuation(course: Course) -> Course | None:
    """Step 3: remove and return the restarted part of a drug continued alone."""
    for period in course.periods:
        others = [p.end for p in course.periods if p is not period]
        if not others or any(end is None for end in others):
            continue
        others_end = max(end for end in others if end is not None)
        ordered = sorted(period.exposures, key=lambda e: (e.start, e.source.where))
        last_day = ordered[0].end or ordered[0].start
        for i, exposure in enumerate(ordered[1:], start=1):
            if (
                exposure.start > others_end
                and (exposure.start - last_day).days > CONTINUATION_BREAK_DAYS
            ):
                kept = _period(period.drug, ordered[:i])
                course.periods[course.periods.index(period)] = kept
                rest = _period(period.drug, ordered[i:])
                return Course(rest.start, [rest])
            if exposure.end is None:
                break
            last_day = max(last_day, exposure.end)
    return None


def _split_at_stop(course: Course) -> Course | None:
    """Step 4: split off what the partners continue after one drug stopped for a reason."""
    for period in course.periods:
        if period.end is None or not any(e.stop_reason for e in period.exposures):
            continue
        stop = period.end
        others = [p for p in course.periods if p is not period]
        if not others or not all(_goes_on(p, stop) for p in others):
            continue
        later: list[DrugPeriod] = []
        for other in others:
            cut = [part for e in other.exposures for part in _cut(e, stop)]
            before = [e for e in cut if e.start <= stop]
            after = [e for e in cut if e.start > stop]
            course.periods[course.periods.index(other)] = _period(other.drug, before)
            later.append(_period(other.drug, after))
        return Course(min(p.start for p in later), later)
    return None


def _goes_on(period: DrugPeriod, stop: dt.date) -> bool:
    """The partner was given by ``stop`` and goes on after it (a later record, or one
    record that runs past that day)."""
    return any(e.start <= stop for e in period.exposures) and any(
        e.start > stop or e.end is None or e.end > stop for e in period.exposures
    )


def _cut(exposure: Exposure, stop: dt.date) -> tuple[Exposure, ...]:
    """One record that runs past ``stop`` as two: up to that day, and from the next."""
    if exposure.start > stop or (exposure.end is not None and exposure.end <= stop):
        return (exposure,)
    return (
        replace(exposure, end=stop, stop_reason=None),
        replace(exposure, start=stop + dt.timedelta(days=1)),
    )


def conventional_order(drugs: list[str], classes: dict[str, frozenset[str]]) -> list[str]:
    """Drugs in the order regimen names use (antibodies first, steroids last)."""

    def rank(inn: str) -> int:
        found = classes.get(inn, frozenset())
        for position, group_ in enumerate(ORDER):
            if found & group_:
                return position
        return len(ORDER) - 1

    return sorted(drugs, key=lambda inn: (rank(inn), inn))


ORDER: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "anti_cd38",
            "anti_slamf7",
            "anti_bcma_adc",
            "bcma_bispecific",
            "gprc5d_bispecific",
            "bcma_car_t",
        }
    ),
    frozenset({"hdac_inhibitor", "xpo1_inhibitor", "bcl2_inhibitor"}),
    frozenset({"proteasome_inhibitor"}),
    frozenset({"imid"}),
    frozenset(),  # cytotoxics and anything else
    frozenset({"corticosteroid"}),
)


def group(exposures: list[Exposure]) -> list[Course]:
    """Steps 1 to 4: the courses, ordered by start date."""
    courses: list[Course] = []
    for period in sorted(drug_periods(exposures), key=lambda p: (p.start, p.drug)):
        current = courses[-1] if courses else None
        if current is not None and (period.start - current.start).days <= REGIMEN_WINDOW_DAYS:
            current.periods.append(period)
        else:
            courses.append(Course(period.start, [period]))
    out: list[Course] = []
    pending = list(courses)
    while pending:
        course = pending.pop(0)
        out.append(course)
        for split in (_split_continuation, _split_at_stop):
            rest = split(course)
            if rest is not None:
                pending.append(rest)
    return sorted(out, key=lambda c: (c.start, c.drugs))
