"""The patient's treatment timeline: courses, lines of therapy and progression events.

Lines of therapy follow the IMWG consensus (Rajkumar, Richardson, San Miguel, "Guidelines
for determination of the number of prior lines of therapy in multiple myeloma", Blood
2015;126:921; shared/reference/clinical-definitions.md, "Lines of therapy"): a line is one
or more courses of a single agent or a combination given as a planned course; induction
followed by (single or tandem) autologous transplant and consolidation / maintenance is
ONE line; a new line starts when treatment is changed to include other agents, or after
progression. Stopping one drug of a combination, changing doses or a pause do not start a
new line.

Courses are read in order of their start date. A course continues the current line when
no progression was recorded between the line's start and the course's start, and any of:

1. it starts within :data:`REGIMEN_WINDOW_DAYS` of the line's first course (the drugs of
   one regimen, started a few days apart — the window commonly used by published
   real-world rules for drug exposure data);
2. an autologous transplant (``procedures``) lies between the line's start and the course
   (the planned induction → ASCT → consolidation → maintenance sequence, whether or not
   a ``setting`` is recorded);
3. its ``setting`` is ``consolidation`` or ``maintenance`` (a planned continuation);
4. it adds no drug to the line's regimen (a drug dropped, the same drugs after a pause, a
   subset). Corticosteroids do not count as an added drug (mmpath's reading: adding or
   restarting dexamethasone alone is a dose change, not a new regimen);
5. it is cyclophosphamide alone followed within :data:`MOBILISATION_WINDOW_DAYS` by a
   stem-cell collection or an ASCT: priming for stem-cell mobilisation (seed 003
   "Cyclophosphamid 2 g/m² skal gives som priming før leukaferese"), part of the planned
   transplant and so of the same line (IMWG: induction followed by ASCT is one line);
6. it adds drugs straight after the line's previous course (within
   :data:`REGIMEN_WINDOW_DAYS` of its end) and that course's ``stop_reason`` says it was
   stopped for none of IMWG's reasons for a new line (:data:`NO_NEW_LINE_STOPS`: completed,
   other, patient's choice): IMWG 2015 starts a new line when the planned course "is changed
   to include other agents because of progression, relapse or toxicity", so a switch from
   VCd to D-VRd during induction, or daratumumab added to Rd for a slow response, continue
   the line (independent review round 8, review/facts/92–93). Without a ``stop_reason`` the
   reason is unknown and the real-world rule of rule 1 decides (a new line).

Otherwise it starts a new line: after a progression (a recorded progression, or a course
stopped for progression), when it is given as ``salvage`` therapy (unless it follows a
salvage course of the line and adds no drug: DVd then Dd, bortezomib dropped, is one line;
review/nl-rrmm/80; or starts within the regimen window of a salvage line: Rd, then
daratumumab 14 days later, is DRd, one line; review r35-08), or when it adds a drug outside the regimen window. ``line`` numbers given in the record are
checked against this counting (:func:`given_lines`): equal, or all higher by the same number
(earlier lines not in the record), they are used; otherwise the record is refused at the
course's ``line`` (review r68: EHR exports numbering induction, transplant and maintenance
1, 2, 3 made a first relapse a fourth line). Lab-only progressions (found in the M-protein series) do not split
lines: they depend on the line starts themselves (the nadir restarts with every line).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from mmpath.catalogue import load_catalogue
from mmpath.record.errors import Problem, RecordError
from mmpath.record.model import CLINICAL_FEATURES, PatientRecord, Treatment

REGIMEN_WINDOW_DAYS = 28
"""Drugs started within this many days of a line's first course form one regimen."""
MOBILISATION_WINDOW_DAYS = 30
"""Cyclophosphamide alone started at most this many days before a stem-cell collection (or
ASCT) is mobilisation priming (apheresis follows priming by about two weeks)."""
MOBILISATION_DRUGS = frozenset({"cyclophosphamide"})
CONTINUING_SETTINGS = frozenset({"consolidation", "maintenance"})
"""Settings that continue the line they follow (when no progression came in between)."""
NEW_LINE_SETTINGS = frozenset({"salvage"})
"""Settings that start a new line: salvage therapy treats relapsed or refractory disease."""
SAME_EVENT_DAYS = 31
"""Progressions this many days apart or less are one event (mmpath's reading): a recorded
progression and the end of the course stopped for it, or a lab progression and either. The
recorded event wins (it carries the type and features)."""
MAINTENANCE_DRUGS = frozenset({"lenalidomide", "thalidomide", "bortezomib", "ixazomib"})
"""Single agents given as maintenance after an autologous transplant. A course of one of
them alone, without a recorded ``setting``, that continues a line after its ASCT (rule 2
below: no progression in between) is read as that line's maintenance — the planned
induction → ASCT → maintenance sequence of the IMWG line definition — so that facts such
as "progression on lenalidomide maintenance" do not hinge on the setting being typed."""


MAINTENANCE_START_DAYS = 92
"""A maintenance agent alone started at most this many days (three months; seed 003 starts
maintenance "3 måneder efter HDT") after a course that was completed continues its line as
maintenance when no progression came in between."""
NO_NEW_LINE_STOPS = frozenset({"completed", "other", "patient_choice"})
"""A course's ``stop_reason`` values that are none of IMWG's reasons for a new line
(progression, relapse, toxicity): drugs added straight after such a stop continue the line."""
ADDED_DRUG_SPLIT = "new line: adds"
"""How ``_continues`` words a split made only by an added drug (rule 4 failing)."""

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
    line_why: str = ""
    """Why the course starts a new line, or which line it continues and why."""
    split_unsure: bool = False
    """The course starts a new line only because it adds a drug (rule 4 fails) while the
    record's ``procedures`` are not recorded: an ASCT in between would make it the same
    line (rule 2), so the split is not known."""
    end_inferred: bool = False
    """The record gives no ``end``, but an ASCT came after the course started, so it ended
    before the transplant: ``end`` is then the day before the ASCT, the latest its last dose
    can have been (:func:`transplant_after`)."""

    def last_day(self, as_of: dt.date) -> dt.date:
        return self.end if self.end is not None else as_of

    def on_therapy(self, day: dt.date, as_of: dt.date) -> bool:
        return self.start <= day <= self.last_day(as_of)

    def label(self) -> str:
        """How reasons name the course: "VRd induction (2021-01-04 to 2021-05-01)"."""
        return _course_label(self.regimen, self.setting, self.start, self.end, self.end_inferred)


@lru_cache(maxsize=1024)
def _course_label(
    regimen: str, setting: str | None, start: dt.date, end: dt.date | None, inferred: bool = False
) -> str:
    """``Course.label`` (remembered: reasons name the same courses dozens of times)."""
    shown_end = (
        (f"at the latest {end.isoformat()}" if inferred else end.isoformat()) if end else "ongoing"
    )
    shown_setting = f" {setting}" if setting else ""
    return f"{regimen}{shown_setting} ({start.isoformat()} to {shown_end})"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of therapy: its number, first day, courses and why it started."""

    number: int
    start: dt.date
    courses: tuple[Course, ...]
    why: str

    def describe(self) -> str:
        parts = ", ".join(c.label() for c in self.courses)
        return f"line {self.number} from {self.start.isoformat()}: {parts} ({self.why})"


@dataclass(frozen=True, slots=True)
class ProgressionEvent:
    date: dt.date
    type: str | None  # "biochemical" | "clinical" | None (type not recorded)
    features: frozenset[str]
    source: str  # "progressions[0]", "labs: serum_m_protein", "treatments[2].stop_reason"
    after: dt.date | None = None
    """For a progression found in the lab series: the measurement before it. The progression
    came after that day and at the latest on ``date``."""

    @property
    def clinical(self) -> bool | None:
        if self.type == "clinical" or self.features & CLINICAL_FEATURES:
            return True
        if self.type == "biochemical":
            return False
        return None


@dataclass
class _OpenLine:
    start: dt.date
    drugs: set[str]
    settings: set[str | None] = field(default_factory=set)


def _line_events(record: PatientRecord) -> list[tuple[dt.date, str]]:
    """Recorded progressions and ends of courses stopped for progression, dated."""
    events = [(p.date, f"progressions[{i}]") for i, p in enumerate(record.progressions or [])]
    events += [
        (t.end, f"treatments[{i}].stop_reason")
        for i, t in enumerate(record.treatments or [])
        if t.stop_reason == "progression" and t.end is not None
    ]
    return sorted(events)


LAB_EVENT = "labs: "
"""Source prefix of a line event only the lab series shows (``build_courses(lab_events=)``)."""


CAR_T_DRUG = "car-t cell therapy"
"""The catalogue's drug for a CAR-T infusion whose product the record does not name."""


def car_t_treatments(record: PatientRecord) -> list[tuple[int, Treatment]]:
    """A ``car_t`` procedure is a treatment: a CAR-T infusion given for relapse is a line of
    therapy (IMWG 2015: a line is a planned course of treatment; CAR-T cells are one), whether
    or not the record also lists a course for it (review r41-01: a CAR-T recorded only as a
    procedure left the patient one line short, in the first-relapse branch). Each one that
    no course with a CAR-T product (class ``*car_t``) within :data:`REGIMEN_WINDOW_DAYS`
    already stands for becomes a one-day course, numbered after the record's treatments,
    with the response recorded after it."""
    catalogue = load_catalogue()
    recorded = [
        t.start
        for t in record.treatments or []
        if any(c.endswith("car_t") for d in t.drug_set() for c in catalogue.classes_of(d))
    ]
    found = []
    first = len(record.treatments or [])
    for i, p in enumerate(record.procedures or []):
        if p.type != "car_t" or any(
            abs((p.date - day).days) <= REGIMEN_WINDOW_DAYS for day in recorded
        ):
            continue
        course = Treatment.model_construct(
            regimen=f"CAR-T (procedures[{i}], product not recorded)",
            drugs=[CAR_T_DRUG],
            start=p.date,
            end=p.date,
            setting=None,
            line=None,
            best_response=p.best_response_after,
            stop_reason=None,
            cycles=None,
        )
        found.append((first + i, course))
    return found


def build_courses(
    record: PatientRecord, lab_events: Sequence[tuple[dt.date, str]] = ()
) -> tuple[Course, ...]:
    """The record's courses in start order, each with its line number and the reason; a
    CAR-T recorded only as a procedure counts as a course (:func:`car_t_treatments`).
    ``line`` numbers given in the record win where they settle a reading of this module
    (:func:`given_lines`). ``lab_events``: confirmed progressions only the lab series shows
    (date, test), which start a new line as a recorded progression does (the caller derives
    them: ``Assessment.courses``); a given ``line`` number still wins over them."""
    counted = _build(record, use_given=False, lab_events=lab_events)
    if not any(t.line is not None for t in record.treatments or []):
        return counted
    return given_lines(record, counted, _build(record, use_given=True, lab_events=lab_events))


def repeated_courses(record: PatientRecord) -> dict[int, int]:
    """Entries of ``treatments`` that repeat an earlier one (same drugs, start and end), by
    index, with the index of the first: one course entered twice (EHR exports do this:
    review r68, r75-02). Each is read once — a repeat would double the course's cycles —
    and the lines' facts warn of it (``lines.repeat_warnings``)."""
    seen: dict[tuple[frozenset[str], dt.date, dt.date | None], int] = {}
    repeats: dict[int, int] = {}
    for i, course in enumerate(record.treatments or []):
        key = (frozenset(course.drug_set()), course.start, course.end)
        if key in seen:
            repeats[i] = seen[key]
        else:
            seen[key] = i
    return repeats


def _build(
    record: PatientRecord, *, use_given: bool, lab_events: Sequence[tuple[dt.date, str]]
) -> tuple[Course, ...]:
    catalogue = load_catalogue()
    repeats = repeated_courses(record)
    treatments = [
        *((i, t) for i, t in enumerate(record.treatments or []) if i not in repeats),
        *car_t_treatments(record),
    ]
    raw = sorted(treatments, key=lambda item: (item[1].start, item[0]))
    events = sorted([*_line_events(record), *((d, f"{LAB_EVENT}{t}") for d, t in lab_events)])
    ascts = sorted(p.date for p in record.procedures or [] if p.type == "autologous_sct")
    harvests = sorted(
        p.date
        for p in record.procedures or []
        if p.type in ("stem_cell_collection", "autologous_sct")
    )
    lines: dict[int, _OpenLine] = {}
    current = 0
    courses: list[Course] = []
    for index, t in raw:
        drugs = t.drug_set()
        active = set(catalogue.anti_myeloma_drugs(drugs))
        split_unsure = False
        if use_given and t.line is not None:
            number, why = t.line, f"line {t.line} as given in the record"
        elif current == 0:
            number, why = 1, "first treatment recorded"
        else:
            open_line = lines[current]
            joins, why = _continues(
                t.start, t.setting, active, current, open_line, events, ascts, courses[-1]
            )
            if not joins and _priming(t.start, active, harvests, events, open_line):
                joins = True
                why = (
                    f"continues line {current}: cyclophosphamide alone before the stem-cell "
                    "collection (mobilisation priming, part of the transplant)"
                )
            number = current if joins else max(lines) + 1
            split_unsure = (
                not joins and record.procedures is None and why.startswith(ADDED_DRUG_SPLIT)
            )
        if number not in lines:
            lines[number] = _OpenLine(t.start, set())
        lines[number].drugs |= active
        lines[number].settings.add(t.setting)
        current = number
        setting = t.setting
        line_start = lines[number].start
        after_asct = any(line_start <= d <= t.start for d in ascts)
        if setting is None and after_asct and maintenance_agent(active):
            setting = "maintenance"
            why += "; a single maintenance agent after the ASCT: read as maintenance"
        end, end_inferred = t.end, False
        if end is None and (asct := transplant_after(t.start, ascts)) is not None:
            end, end_inferred = asct - dt.timedelta(days=1), True
            why += f"; no end recorded: it ended before the ASCT of {asct}"
        courses.append(
            Course(
                index=index,
                regimen=t.regimen or " - ".join(drugs),
                drugs=drugs,
                start=t.start,
                end=end,
                end_inferred=end_inferred,
                setting=setting,
                best_response=t.best_response,
                stop_reason=t.stop_reason,
                line=number,
                line_why=why,
                split_unsure=split_unsure,
            )
        )
    return tuple(courses)


CERTAIN_NEW_LINE = "new line: started after progression"
"""A new line IMWG states outright (treatment after a progression): a given ``line`` may not
join it to the line before."""
CERTAIN_SAME_LINE = (
    "after the ASCT of",
    "no drug added to its regimen",
    ", no progression since it started",
)
"""Continuations IMWG states outright (induction, transplant, consolidation and maintenance
are one line; a drug dropped, a pause or the same drugs again are not a new line): a given
``line`` may not start a new line there. The other continuations and new lines (the
28-day window, a salvage setting, a bridge, priming, a switch after a stop) are readings a
given ``line`` settles."""


def given_lines(
    record: PatientRecord, counted: tuple[Course, ...], given: tuple[Course, ...]
) -> tuple[Course, ...]:
    """The courses numbered with the record's ``line`` numbers (``given``, numbering going on
    from them), unless they contradict what IMWG states outright about two consecutive
    courses (:data:`CERTAIN_NEW_LINE`, :data:`CERTAIN_SAME_LINE`, as ``counted`` without
    them found): then a ``RecordError`` names the course (review r68: EHR exports numbering
    induction, transplant and maintenance 1, 2, 3 made a first relapse a fourth line)."""
    problems = []
    for k in range(1, len(counted)):
        why = counted[k].line_why
        same = given[k].line == given[k - 1].line
        if why.startswith(CERTAIN_NEW_LINE) and same:
            rule = "a course started after a progression begins a new line"
        elif (
            why.startswith("continues line")
            and any(c in why for c in CERTAIN_SAME_LINE)
            and not same
        ):
            rule = "it continues the line before it"
        else:
            continue
        at = counted[k] if record_line(record, counted[k]) is not None else counted[k - 1]
        problems.append(
            Problem(
                f"treatments[{at.index}].line",
                f"the record's line numbers make {counted[k].label()} line {given[k].line} and "
                f"{counted[k - 1].label()} line {given[k - 1].line}, but by IMWG {rule} "
                f"({why}); correct the numbers or leave `line` out",
            )
        )
    if problems:
        raise RecordError(problems)
    return given


def record_line(record: PatientRecord, c: Course) -> int | None:
    """The ``line`` the record gives a course (None for none, or for a CAR-T procedure)."""
    treatments = record.treatments or []
    return treatments[c.index].line if c.index < len(treatments) else None


def transplant_after(start: dt.date, ascts: list[dt.date]) -> dt.date | None:
    """The first autologous transplant after ``start``. A course the record gives no ``end``
    ended before it: high-dose melphalan is given after the therapy before it has stopped,
    so such a course is not "still running" years later (review r47-07: a 2012 PAD
    induction with no end was read as given for 14 years, making the patient
    bortezomib-refractory at her 2026 relapse); its last dose is at the latest the day
    before."""
    return next((d for d in ascts if d > start), None)


def maintenance_agent(active: set[str] | frozenset[str]) -> bool:
    """One maintenance agent alone (:data:`MAINTENANCE_DRUGS`)."""
    return len(active) == 1 and active <= MAINTENANCE_DRUGS


def _continues(
    start: dt.date,
    setting: str | None,
    active: set[str],
    number: int,
    line: _OpenLine,
    events: list[tuple[dt.date, str]],
    ascts: list[dt.date],
    previous: Course,
) -> tuple[bool, str]:
    """Whether a course starting on ``start`` continues line ``number`` (whose latest course
    is ``previous``), and why (see the module docstring for the order of the tests)."""
    progressed = [(d, src) for d, src in events if line.start < d <= start]
    if progressed:
        day, src = progressed[-1]
        if src.startswith(LAB_EVENT):
            # not CERTAIN_NEW_LINE: a line number the record gives wins over the labs
            return False, (
                f"new line: started after a confirmed progression the lab series shows on "
                f"{day.isoformat()} ({src.removeprefix(LAB_EVENT)}; IMWG 2016)"
            )
        return False, f"new line: started after progression on {day.isoformat()} ({src})"
    added = sorted(active - line.drugs)
    within_window = (start - line.start).days <= REGIMEN_WINDOW_DAYS
    if not line.drugs and active and within_window:
        # review r65-06: dexamethasone alone as a bridge, then DRd 18 days later, was two lines
        return True, (
            f"continues line {number}: it began with a corticosteroid alone "
            f"({previous.label()}) within {REGIMEN_WINDOW_DAYS} days, a bridge or pre-phase of "
            "this regimen (IMWG: drugs started within the window form one regimen)"
        )
    if setting in NEW_LINE_SETTINGS and not (
        setting in line.settings and (not added or within_window)
    ):
        # the line's own salvage course, resumed after a pause (review r65-04: DRd paused for
        # cyclophosphamide mobilisation, then restarted), is not a new line
        return False, f"new line: given as {setting} therapy"
    if within_window:
        return True, (
            f"continues line {number}: started within {REGIMEN_WINDOW_DAYS} days of its start"
        )
    transplants = [d for d in ascts if line.start <= d <= start]
    if transplants:
        return True, (
            f"continues line {number}: after the ASCT of {transplants[-1].isoformat()}, "
            "no progression in between"
        )
    if setting in CONTINUING_SETTINGS:
        return True, f"continues line {number}: {setting}, no progression since it started"
    if not added:
        return True, (
            f"continues line {number}: no drug added to its regimen and no progression "
            "(a drug dropped, a pause, or the same drugs again)"
        )
    if (
        previous.stop_reason in NO_NEW_LINE_STOPS
        and previous.end is not None
        and 0 <= (start - previous.end).days <= REGIMEN_WINDOW_DAYS
    ):
        return True, (
            f"continues line {number}: adds {', '.join(added)} straight after "
            f"{previous.label()} stopped ({previous.stop_reason.replace('_', ' ')}), not for "
            "progression, relapse or toxicity (IMWG: a change for those starts a new line)"
        )
    if (
        maintenance_agent(active)
        and previous.stop_reason == "completed"
        and previous.end is not None
        and 0 <= (start - previous.end).days <= MAINTENANCE_START_DAYS
    ):
        # review r83-06: lenalidomide alone five weeks after 9 cycles of VMP were completed,
        # no progression: the planned maintenance of the line (IMWG: a new line needs a
        # change for progression, relapse or toxicity), not a second line
        return True, (
            f"continues line {number}: {', '.join(sorted(active))} alone started "
            f"{(start - previous.end).days} days after {previous.label()} was completed, no "
            "progression: read as the line's maintenance"
        )
    return False, (
        f"{ADDED_DRUG_SPLIT} {', '.join(added)} to line {number}'s regimen "
        f"({', '.join(sorted(line.drugs)) or 'corticosteroid only'}) more than "
        f"{REGIMEN_WINDOW_DAYS} days after its start"
    )


def _priming(
    start: dt.date,
    active: set[str],
    harvests: list[dt.date],
    events: list[tuple[dt.date, str]],
    line: _OpenLine,
) -> bool:
    """Cyclophosphamide alone, no progression since the line started, followed within
    MOBILISATION_WINDOW_DAYS by a stem-cell collection or ASCT (module docstring, item 5)."""
    if not active or not active <= MOBILISATION_DRUGS:
        return False
    if any(line.start < d <= start for d, _ in events):
        return False
    return any(0 <= (h - start).days <= MOBILISATION_WINDOW_DAYS for h in harvests)


def build_lines(courses: tuple[Course, ...]) -> tuple[Line, ...]:
    """The lines of therapy, by number, each with its courses and why it started."""
    grouped: dict[int, list[Course]] = {}
    for c in courses:
        grouped.setdefault(c.line, []).append(c)
    return tuple(
        Line(number=n, start=group[0].start, courses=tuple(group), why=group[0].line_why)
        for n, group in sorted(grouped.items())
    )


def same_event(day: dt.date, events: list[ProgressionEvent]) -> bool:
    """Whether a progression on ``day`` is one of ``events`` (:data:`SAME_EVENT_DAYS`)."""
    return any(abs((e.date - day).days) <= SAME_EVENT_DAYS for e in events)


def recorded_events(record: PatientRecord, courses: tuple[Course, ...]) -> list[ProgressionEvent]:
    """Progressions given in the record, and courses stopped for progression.

    A course stopped for progression is stopped for a progression the record lists during
    the course, or up to :data:`SAME_EVENT_DAYS` either side of its last day (confirmed a
    little after the stop, or acted on a few weeks after it was found): one event, with
    the recorded type and features, not a second one of unknown type dated on the stop
    (which, being the latest, would hide the recorded type). Only a stop with no recorded
    progression in that span adds an event of its own."""
    events = [
        ProgressionEvent(p.date, p.type, frozenset(p.features or ()), f"progressions[{i}]")
        for i, p in enumerate(record.progressions or [])
    ]
    recorded = list(events)
    window = dt.timedelta(days=SAME_EVENT_DAYS)

    def stopped_for_recorded(c: Course) -> bool:
        assert c.end is not None
        return any(c.start < e.date <= c.end + window for e in recorded) or same_event(
            c.end, recorded
        )

    for c in courses:
        if c.stop_reason == "progression" and c.end is not None and not stopped_for_recorded(c):
            events.append(
                ProgressionEvent(c.end, None, frozenset(), f"treatments[{c.index}].stop_reason")
            )
    return sorted(_acted_on(events, courses), key=lambda e: (e.date, e.source))


def _acted_on(
    events: list[ProgressionEvent], courses: tuple[Course, ...]
) -> list[ProgressionEvent]:
    """A progression recorded after the end of a course stopped for progression (within
    :data:`SAME_EVENT_DAYS`) and after the next course had already started is the one that
    course was stopped for: dated on the stop. Otherwise it would fall on the new regimen,
    making its first days "progression on therapy" (review r65-02: lenalidomide stopped for
    progression on 31 August, DVd from 1 September, the progression documented on 10
    September made the patient DVd-refractory and the decision a third line)."""
    window = dt.timedelta(days=SAME_EVENT_DAYS)
    out = []
    for e in events:
        stop = next(
            (
                c
                for c in courses
                if c.stop_reason == "progression"
                and c.end is not None
                and c.end < e.date <= c.end + window
                and not any(c.start < o.date <= c.end for o in events)
                and any(c.end < o.start < e.date for o in courses)
            ),
            None,
        )
        if stop is not None and stop.end is not None and e.source.startswith("progressions["):
            e = ProgressionEvent(
                stop.end,
                e.type,
                e.features,
                f"{e.source}, recorded on {e.date.isoformat()}: the progression "
                f"treatments[{stop.index}] was stopped for",
            )
        out.append(e)
    return out


def months_after(start: dt.date, months: int) -> dt.date:
    """The calendar day ``months`` months after ``start`` (the anniversary day; the last day
    of the month when the month is shorter: 31 January + 1 month = 28/29 February).

    Time spans in the sources are calendar months ("at least 24 months", "within 24
    months"); comparisons at those boundaries use this day, never a mean month length.
    The same day as ``start + dateutil.relativedelta(months=months)`` (tested), computed
    without it (it is the fact layer's most frequent date step).
    """
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    month = month0 + 1
    return start.replace(
        year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1])
    )


def elapsed(start: dt.date, end: dt.date) -> str:
    """Calendar months and days from ``start`` to ``end``, for reasons: "24 months 3 days".

    The months and days of ``dateutil.relativedelta(end, start)`` (tested): the most whole
    months that do not pass ``end``, then the days left."""
    months = (end.year * 12 + end.month) - (start.year * 12 + start.month)
    reached = months_after(start, months)
    step = 1 if end < start else -1
    while (end > reached) if end < start else (end < reached):
        months += step
        reached = months_after(start, months)
    days = (end - reached).days
    return f"{months} months {days} days" if days else f"{months} months"
