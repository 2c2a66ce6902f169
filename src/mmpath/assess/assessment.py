"""The assessment of one record: facts derived on demand, memoised, assertions first.

This is the only object later layers see: the engine asks it for facts by name and for
drug-level statements (refractory to a drug, contraindicated, not tolerated); it never
reads the raw record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cached_property
from typing import Any

from mmpath.assess.fact import FACTS, Fact, Value, in_words
from mmpath.assess.lab_progression import (
    DFLC_RESPONSE_CEILING,
    DFLC_SOURCE_READING_MG_L,
    LAB_FOLLOW_UP_DAYS,
    RESPONSE_CEILING,
    SERUM_MEASURABLE_G_DL,
    URINE_MEASURABLE_MG_24H,
    LabProgression,
    ResponseCheck,
    UnmeasuredRise,
    detect,
    dflc_minimum_increase,
    implied_progression,
    serum_minimum_increase,
    unmeasured_rises,
    urine_minimum_increase,
)
from mmpath.assess.timeline import (
    Course,
    Line,
    ProgressionEvent,
    build_courses,
    build_lines,
    recorded_events,
    same_event,
)
from mmpath.catalogue import Catalogue, load_catalogue
from mmpath.record.errors import Problem, RecordError
from mmpath.record.model import LabResult, PatientRecord
from mmpath.record.units import to_canonical

MINIMUM_INCREASE: dict[str, Callable[[float], float]] = {
    "serum M-protein": serum_minimum_increase,
    "urine M-protein": urine_minimum_increase,
    "dFLC": dflc_minimum_increase,
}
"""The IMWG 2016 absolute increase each followed marker needs for progression."""

STATUS_ASSERTIONS = {
    ("relapsed", True): "relapsed",
    ("relapsed", False): "newly_diagnosed",
    ("newly_diagnosed", True): "newly_diagnosed",
    ("newly_diagnosed", False): "relapsed",
}
"""An asserted disease-status fact read as the record's ``status`` (patient-record-v1: its
two values are these facts' meanings), so the facts that follow from it (line position,
``newly_diagnosed`` / ``relapsed``) agree with the assertion."""


def _stated_status(record: PatientRecord) -> tuple[str | None, str | None]:
    stated = {
        (f"asserted.{name}", STATUS_ASSERTIONS[name, value])
        for name, value in (record.asserted or {}).items()
        if (name, value) in STATUS_ASSERTIONS
    }
    if record.status is not None:
        stated.add(("status", record.status))
    if len({status for _, status in stated}) > 1:
        raise RecordError(
            [
                Problem(
                    path,
                    f"says {status}, but the record also says "
                    + " and ".join(
                        sorted(
                            f"{other} ({o_status})" for other, o_status in stated if other != path
                        )
                    ),
                )
                for path, status in sorted(stated)
            ]
        )
    if not stated:
        return None, None
    path, status = min(stated)
    return status, "record status" if path == "status" else f"the clinician's {path}"


def years_between(born: dt.date, day: dt.date) -> int:
    """Completed years from ``born`` to ``day`` (a birthday counts on its day)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Assessment:
    """Facts about ``record`` at its ``as_of`` date (today when absent)."""

    def __init__(self, record: PatientRecord, *, today: dt.date | None = None) -> None:
        unknown = [name for name in record.asserted or {} if name not in FACTS]
        if unknown:
            raise RecordError(
                [
                    Problem(f"asserted.{name}", "unknown fact name; see `mmpath facts --list`")
                    for name in unknown
                ]
            )
        self.record = record
        self.stated_status, self.stated_by = _stated_status(record)
        """The clinician's statement of the disease status and where the record makes it:
        ``status``, or an assertion of ``relapsed`` / ``newly_diagnosed`` (the same statement
        made as a fact: review r81)."""
        self.as_of: dt.date = record.as_of or today or dt.date.today()
        self.catalogue: Catalogue = load_catalogue()
        self._facts: dict[str, Fact] = {}
        self.memo: dict[tuple[str, str], Any] = {}
        """Per-assessment cache for drug-level derivations (key: (what, drug))."""

    # -- facts -------------------------------------------------------------------------
    def get(self, name: str) -> Fact:
        found = self._facts.get(name)
        if found is not None:
            return found
        spec = FACTS[name]
        warnings = tuple(spec.warnings(self)) if spec.warnings is not None else ()
        asserted = (self.record.asserted or {}).get(name)
        if asserted is not None:
            value, why = self._derive_quietly(name)
            derived = in_words(value)
            found = Fact(
                name,
                asserted,
                f"asserted by the clinician (derivation alone would give {derived}: {why})",
                spec.definition,
                spec.needs,
                asserted=True,
                warnings=warnings,
            )
        else:
            value, why = spec.derive(self)
            found = Fact(name, value, why, spec.definition, spec.needs, warnings=warnings)
        self._facts[name] = found
        return found

    def _derive_quietly(self, name: str) -> tuple[Value, str]:
        return FACTS[name].derive(self)

    def value(self, name: str) -> Value:
        found = self._facts.get(name)
        return (found if found is not None else self.get(name)).value

    def all(self) -> dict[str, Fact]:
        return {name: self.get(name) for name in sorted(FACTS)}

    # -- patient basics ----------------------------------------------------------------
    @cached_property
    def age(self) -> int | None:
        r = self.record
        if r.birth_date is not None:
            return years_between(r.birth_date, self.as_of)
        return r.age

    # -- timeline ----------------------------------------------------------------------
    @cached_property
    def courses(self) -> tuple[Course, ...]:
        """The record's courses with their lines (``timeline.build_courses``). IMWG starts a
        new line after a progression, also one only the lab series shows: with the record's
        progressions alone a course started years after an ASCT, after a rise the labs
        confirm, was read as the transplant line's maintenance (review r95-11: DRd and then
        Isa-Pd counted in line 1). The lab series is read per line, so the lines are rebuilt
        until the confirmed lab progressions (:func:`lab_progression.detect`) no longer
        change them; the nadir a recorded response implies (``implied_progression``) needs
        the lines and does not split them."""
        courses = build_courses(self.record)
        if not self.followed_markers:
            return courses
        recorded = recorded_events(self.record, courses)
        for _ in range(len(courses)):
            starts = sorted({line.start for line in build_lines(courses)})
            events = sorted(
                (p.date, p.test)
                for test, series in self.followed_markers
                for p in detect(series, test, MINIMUM_INCREASE[test], starts)
                if p.confirmed and not same_event(p.date, recorded)
            )
            rebuilt = build_courses(self.record, events)
            if rebuilt == courses:
                break
            courses = rebuilt
        return courses

    @cached_property
    def lines(self) -> tuple[Line, ...]:
        """Lines of therapy (IMWG consensus; see ``timeline``), by number."""
        return build_lines(self.courses)

    @cached_property
    def line_starts(self) -> list[dt.date]:
        return sorted({line.start for line in self.lines})

    @cached_property
    def sure_line_starts(self) -> list[dt.date]:
        """Line starts without the splits that an unrecorded ASCT could undo
        (``Course.split_unsure``): the line starts if every such course continued its line."""
        unsure = {c.start for c in self.courses if c.split_unsure}
        return [d for d in self.line_starts if d not in unsure]

    @cached_property
    def followed_markers(self) -> list[tuple[str, list[tuple[dt.date, float]]]]:
        """The lab series IMWG 2016 measures progression in: serum and/or urine M-protein
        when measurable (serum ≥ 1 g/dL, urine ≥ 200 mg/24 h at any time), otherwise dFLC."""
        serum = self.series("serum_m_protein")
        urine = self.series("urine_m_protein")
        found: list[tuple[str, list[tuple[dt.date, float]]]] = []
        if serum and max(v for _, v in serum) >= SERUM_MEASURABLE_G_DL:
            found.append(("serum M-protein", serum))
        if urine and max(v for _, v in urine) >= URINE_MEASURABLE_MG_24H:
            found.append(("urine M-protein", urine))
        if not found and self.dflc_series:
            found.append(("dFLC", self.dflc_series))
        return found

    @cached_property
    def lab_progressions(self) -> list[LabProgression]:
        """IMWG progressions found in the lab series (confirmed and unconfirmed), the nadir
        restarting with every line."""
        return self._lab_progressions(self.line_starts)

    @cached_property
    def lab_progressions_if_joined(self) -> list[LabProgression]:
        """As ``lab_progressions``, with the nadir reset only at ``sure_line_starts``."""
        return self._lab_progressions(self.sure_line_starts)

    def _lab_progressions(self, line_starts: list[dt.date]) -> list[LabProgression]:
        increase = MINIMUM_INCREASE
        found: list[LabProgression] = []
        for test, series in self.followed_markers:
            found += detect(series, test, increase[test], line_starts)
            if line_starts == self.line_starts:
                found += self._implied_progressions(test, series, increase[test], found)
        return sorted(found, key=lambda p: p.date)

    def _implied_progressions(
        self,
        test: str,
        series: list[tuple[dt.date, float]],
        increase: Callable[[float], float],
        found: list[LabProgression],
    ) -> list[LabProgression]:
        """Per line with no progression found in ``series``: one measured against the nadir
        its recorded best response implies (``lab_progression.implied_progression``), the
        baseline being the last value at most :data:`LAB_FOLLOW_UP_DAYS` before the line."""
        out: list[LabProgression] = []
        for line, end, baseline, checks in self._recorded_responses(test, series):
            if any(p.test == test and line.start < p.date <= end for p in found):
                continue
            # a response bounds the nadir unless the series contradicts it: measured during
            # its course or in the 92 days after, only above the bound (found by the cohort
            # property test: a recorded VGPR beside a plateau at 30 % of the baseline made a
            # stable patient "progressing")
            responses = [(c.stop, c.response) for c in checks if not c.contradicted]
            if not responses:
                continue
            points = [(d, v) for d, v in series if line.start < d <= end]
            implied = implied_progression(points, baseline, responses, test, increase)
            if implied is not None:
                out.append(implied)
        return out

    def _recorded_responses(
        self, test: str, series: list[tuple[dt.date, float]]
    ) -> list[tuple[Line, dt.date, float, list[ResponseCheck]]]:
        """Per line with a baseline in ``series`` (the last value at most
        :data:`LAB_FOLLOW_UP_DAYS` before the line) and a recorded best response that bounds
        the marker (:data:`RESPONSE_CEILING`, :data:`DFLC_RESPONSE_CEILING`): (line, the
        next line's start or ``date.max``, baseline, each response checked against the
        series). The response after an ASCT of the line counts from 92 days after it (when
        it is assessed), as if a course had ended then."""
        out = []
        ceilings = DFLC_RESPONSE_CEILING if test == "dFLC" else RESPONSE_CEILING
        follow_up = dt.timedelta(days=LAB_FOLLOW_UP_DAYS)
        ends = [line.start for line in self.lines[1:]] + [dt.date.max]
        for line, end in zip(self.lines, ends[: len(self.lines)], strict=True):
            given = [
                (c.label(), c.start, c.end, c.best_response)
                for c in line.courses
                if c.end is not None and c.best_response in ceilings
            ]
            given += [
                (f"autologous SCT {p.date}", p.date, p.date + follow_up, p.best_response_after)
                for p in self.record.procedures or []
                if p.type == "autologous_sct"
                and line.start <= p.date < end
                and p.best_response_after in ceilings
            ]
            if not given:
                continue
            before = [v for d, v in series if d <= line.start and line.start - d <= follow_up]
            if not before:
                continue
            checks = []
            for label, start, stop, response in given:
                bound = before[-1] * ceilings[response]
                seen = [(d, v) for d, v in series if start < d <= stop + follow_up]
                checks.append(
                    ResponseCheck(
                        label,
                        response,
                        start,
                        stop,
                        before[-1],
                        bound,
                        seen,
                        test,
                        MINIMUM_INCREASE[test],
                    )
                )
            out.append((line, end, before[-1], checks))
        return out

    @cached_property
    def response_contradictions(self) -> list[str]:
        """Recorded best responses the followed marker's series contradicts
        (:attr:`ResponseCheck.warning`) with no progression (recorded, a course stopped for
        one, or from the labs) from the course's start to 92 days after it: a warning, never
        a correction — the recorded response is the clinician's statement (review r84-02)."""
        notes = []
        follow_up = dt.timedelta(days=LAB_FOLLOW_UP_DAYS)
        events = [e.date for e in self.progression_events]
        for test, series in self.followed_markers:
            for _line, _end, _baseline, checks in self._recorded_responses(test, series):
                notes += [
                    c.warning
                    for c in checks
                    if c.warning is not None
                    # a progression in the window explains the rise: nothing to check
                    and not any(c.start < day <= c.stop + follow_up for day in events)
                ]
        return notes

    @cached_property
    def unmeasured_rises(self) -> list[UnmeasuredRise]:
        """Rises in the followed series against a single, unconfirmed low value
        (``lab_progression.unmeasured_rises``): neither progression nor its absence."""
        increase = MINIMUM_INCREASE
        found: list[UnmeasuredRise] = []
        for test, series in self.followed_markers:
            known = [p for p in self.lab_progressions if p.test == test]
            found += unmeasured_rises(series, test, increase[test], self.line_starts, known)

        # only where nothing else shows the line's progression: a recorded one, or one the
        # series (or the nadir a recorded response implies) confirms, after the low value
        def segment_end(day: dt.date) -> dt.date:
            return min((s for s in self.line_starts if s > day), default=dt.date.max)

        return sorted(
            (
                r
                for r in found
                if not any(
                    r.low_date < e.date < segment_end(r.date) for e in self.progression_events
                )
            ),
            key=lambda r: r.date,
        )

    def lab_follow_up(self, since: dt.date | None) -> str | None:
        """How the lab series follows the disease since ``since`` (the latest line's start),
        or None when it does not: a followed marker (``followed_markers``) with at least two
        assessments after ``since`` (a confirmed nadir, IMWG 2016) and the latest within
        :data:`LAB_FOLLOW_UP_DAYS` of the decision date."""
        for test, series in self.followed_markers:
            after = [(d, v) for d, v in series if since is None or d > since]
            if len(after) >= 2 and (self.as_of - after[-1][0]).days <= LAB_FOLLOW_UP_DAYS:
                return (
                    f"{test}: {len(after)} assessments since "
                    f"{since.isoformat() if since else 'the first one'}, the latest on "
                    f"{after[-1][0].isoformat()}"
                )
        return None

    @cached_property
    def lab_boundary_notes(self) -> list[str]:
        """Lab-series findings a reader must see although they are not (yet) IMWG
        progression: an unconfirmed rise (IMWG needs two consecutive assessments) and a
        dFLC rise of exactly 100 mg/L (IMWG: "> 100 mg/L"; seed 001: "≥100 mg/L"). A recorded
        progression at the same time (``same_event``) settles both: no note then."""
        recorded = self.recorded_progressions
        notes = [
            f"{p.test} rose from confirmed nadir {p.nadir:g} to {p.value:g} on "
            f"{p.date.isoformat()}: meets IMWG 2016 progression once, unconfirmed — repeat "
            "the measurement (two consecutive assessments are needed)"
            for p in self.lab_progressions
            if not p.confirmed and not same_event(p.date, recorded)
        ]
        notes += [
            f"{r.test} rose from {r.low:g} ({r.low_date.isoformat()}) to {r.value:g} on "
            f"{r.date.isoformat()}: {r.low:g} is the line's first measurement, not a confirmed "
            "nadir (IMWG 2016 measures from the lowest confirmed value), so the series shows "
            "neither progression nor its absence — check the values before it, or list the "
            "progression"
            for r in self.unmeasured_rises
            if not same_event(r.date, recorded)
        ]
        if any(test == "dFLC" for test, _ in self.followed_markers):
            strict = {p.date for p in self.lab_progressions if p.test == "dFLC"}
            for p in detect(
                self.dflc_series, "dFLC", lambda _: DFLC_SOURCE_READING_MG_L, self.line_starts
            ):
                if p.date not in strict and not same_event(p.date, recorded):
                    notes.append(
                        f"dFLC rose from confirmed nadir {p.nadir:g} to {p.value:g} mg/L on "
                        f"{p.date.isoformat()} (+{p.value - p.nadir:g} mg/L): not progression "
                        "by IMWG 2016 (absolute increase > 100 mg/L), but progression by the "
                        "≥ 100 mg/L of seed 001 — a boundary reading; check the series"
                    )
        notes += [
            f"dFLC rose from confirmed nadir {p.nadir:g} to {p.value:g} mg/L on "
            f"{p.date.isoformat()} (confirmed) while {self.followed_markers[0][0]}, the "
            "measurable marker, shows no progression: IMWG 2016 uses the light chains only "
            "when serum and urine M-protein are not measurable, so this is not progression by "
            "the letter, but it may be light-chain escape — the clinician decides (list the "
            "progression if it is one)"
            for p in self.light_chain_escape
            if not same_event(p.date, recorded)
        ]
        return notes

    @cached_property
    def light_chain_escape(self) -> list[LabProgression]:
        """Confirmed rises of dFLC that meet the IMWG 2016 FLC criterion (≥ 25 % and > 100
        mg/L from the confirmed nadir) while serum or urine M-protein is the followed marker
        (``followed_markers``), with no progression found or recorded at that time or later in
        the same line.

        IMWG 2016 uses the FLC criterion "only when serum and urine M-protein are not
        measurable" (reference/clinical-definitions.md), and mmpath reads measurability over
        the whole series, so by the letter this is not progression; but a light-chain rise
        while the intact M-protein stays low (light-chain escape) is how some relapses
        show, and the definitions' present tense admits reading it as progression. The
        source does not settle it: progression is left to the clinician (review r59-05)."""
        if not self.dflc_series or not self.followed_markers:
            return []
        if any(test == "dFLC" for test, _ in self.followed_markers):
            return []
        known = self.progression_events

        def settled(p: LabProgression) -> bool:
            # a progression at that time, or later in the same line, answers the question
            if same_event(p.date, known):
                return True
            return any(
                e.date > p.date and not any(p.date < s <= e.date for s in self.line_starts)
                for e in known
            )

        return [
            p
            for p in detect(self.dflc_series, "dFLC", dflc_minimum_increase, self.line_starts)
            if p.confirmed and not settled(p)
        ]

    @cached_property
    def dflc_series(self) -> list[tuple[dt.date, float]]:
        kappa = dict(self.series("flc_kappa"))
        lamb = dict(self.series("flc_lambda"))
        isotype = ((self.record.diagnosis and self.record.diagnosis.isotype) or "").lower()
        out = []
        for day in sorted(kappa.keys() & lamb.keys()):
            if "lambda" in isotype:
                involved, uninvolved = lamb[day], kappa[day]
            elif "kappa" in isotype:
                involved, uninvolved = kappa[day], lamb[day]
            else:
                involved, uninvolved = max(kappa[day], lamb[day]), min(kappa[day], lamb[day])
            out.append((day, involved - uninvolved))
        return out

    @cached_property
    def recorded_progressions(self) -> list[ProgressionEvent]:
        """``timeline.recorded_events`` of the record, once (shared: do not modify)."""
        return recorded_events(self.record, self.courses)

    @cached_property
    def progression_events(self) -> list[ProgressionEvent]:
        """Recorded progressions, courses stopped for progression, confirmed lab progressions."""
        events = list(self.recorded_progressions)
        for p in self.lab_progressions:
            if p.confirmed and not same_event(p.date, events):
                events.append(
                    ProgressionEvent(
                        p.date,
                        None,
                        frozenset(),
                        f"labs: {p.test}"
                        + (
                            f", from the nadir ≤ {p.nadir:g} its recorded best response "
                            f"{p.implied_by} implies"
                            if p.implied_by
                            else ""
                        ),
                        p.previous,
                    )
                )
        return sorted(events, key=lambda e: (e.date, e.source))

    @cached_property
    def progression_warnings(self) -> list[str]:
        """Confirmed lab progressions (IMWG 2016) the record's progressions list does not
        hold (when the record gives the list: without it, the lab series is the source)."""
        if not self.progressions_recorded:
            return []
        recorded = self.recorded_progressions
        return [
            f"the lab series shows a confirmed progression on {p.date.isoformat()} "
            f"({p.test} from confirmed nadir {p.nadir:g} to {p.value:g}) that the record's "
            "progressions do not list; it is counted — check the record"
            for p in self.lab_progressions
            if p.confirmed and not same_event(p.date, recorded)
        ]

    @property
    def progressions_recorded(self) -> bool:
        """Whether the record states its progressions (a list, possibly empty)."""
        return self.record.progressions is not None

    # -- labs --------------------------------------------------------------------------
    @cached_property
    def _labs(self) -> dict[str, list[LabResult]]:
        """The record's lab values up to as_of by test, in record order (read once)."""
        by_test: dict[str, list[LabResult]] = {}
        for lab in self.record.labs or []:
            if lab.date <= self.as_of:
                by_test.setdefault(lab.test, []).append(lab)
        return by_test

    @cached_property
    def _series(self) -> dict[str, list[tuple[dt.date, float]]]:
        return {}

    def series(self, test: str) -> list[tuple[dt.date, float]]:
        """Dated values of one lab test in canonical units, oldest first, up to as_of
        (a new list each call; converted and sorted once per test)."""
        found = self._series.get(test)
        if found is None:
            found = self._series[test] = sorted(
                (lab.date, to_canonical(lab.test, lab.value, lab.unit))
                for lab in self._labs.get(test, ())
            )
        return list(found)

    def latest_lab(self, test: str, within_days: int | None = None) -> LabResult | None:
        labs = [
            lab
            for lab in self._labs.get(test, ())
            if within_days is None or (self.as_of - lab.date).days <= within_days
        ]
        return max(labs, key=lambda lab: lab.date) if labs else None

    # -- drug-level statements for the engine -------------------------------------------
    def exposed_to(self, inn: str) -> list[Course]:
        """The courses that gave ``inn``, in course order (shared: do not modify)."""
        return self._exposure.get(inn, [])

    @cached_property
    def _exposure(self) -> dict[str, list[Course]]:
        by_drug: dict[str, list[Course]] = {}
        for c in self.courses:
            for inn in dict.fromkeys(c.drugs):
                by_drug.setdefault(inn, []).append(c)
        return by_drug

    def contraindicated(self, inn: str) -> str | None:
        """Why ``inn`` must not be given (the record's contraindications), or None."""
        for entry in self.record.contraindications or []:
            if self.catalogue.drug(entry) == inn:
                return f"contraindicated in the record: {inn}"
            if entry in self.catalogue.classes_of(inn):
                return f"contraindicated in the record: {entry} ({inn})"
        return None

    def intolerant(self, inn: str) -> bool:
        """Whether the record lists ``inn`` (by any of its names) among the intolerances."""
        return inn in self._intolerances

    @cached_property
    def _intolerances(self) -> frozenset[str | None]:
        return frozenset(self.catalogue.drug(e) for e in self.record.intolerances or [])
