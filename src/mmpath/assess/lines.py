"""Where the patient stands in the sequence of lines of therapy at the decision date.

Lines are derived in ``timeline`` (IMWG consensus, Rajkumar et al., Blood 2015;126:921).
At a decision point (shared/reference/clinical-definitions.md, "Lines of therapy"):
"prior lines" are the lines started before the progression being treated; a line the
patient is on and responding to is the current line, not a prior one. Hence:

- progression since the start of the latest line (fact ``progressive_disease``): the
  decision is about a new line; ``prior_lines`` = the lines started before that
  progression (the latest line's number) and ``current_line`` = ``prior_lines`` + 1;
- no progression since the latest line started (on it, or in remission after it):
  ``current_line`` = the latest line's number, ``prior_lines`` = ``current_line`` − 1;
- no treatment recorded (``treatments: []``): 0 prior lines, current line 1;
- whether the patient progressed since the latest line started is unknown: the record's
  ``status`` settles it when it can (``newly_diagnosed``: on the current line;
  ``relapsed`` with a single line: the relapse came after that line started); otherwise
  both are unknown.

Line numbers given in the record win (a record holding only "line 3" counts two earlier
lines).

**CAR-T and bridging (a reading the definitions leave open).** IMWG 2015 predates CAR-T and
says nothing of bridging therapy given between apheresis and infusion. mmpath counts lines
by its general rules (a CAR-T adds a drug, so it starts a line), and when a CAR-T line
starts without a progression since the line before it started, it warns that the earlier
course may have been bridging and that many count the two as one line; the course's
``line`` field settles it (:func:`bridging_warnings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mmpath.assess.assessment import Assessment
from mmpath.assess.disease_status import failed_without_response, lab_warnings
from mmpath.assess.fact import Value, fact
from mmpath.assess.timeline import repeated_courses

NEEDS = ("treatments", "progressions", "procedures", "labs")
DEFINITION = (
    "IMWG consensus (Rajkumar 2015): induction + ASCT + consolidation + maintenance are one "
    "line; a new line starts after progression or when a drug is added outside a 28-day "
    "regimen window (a dropped drug, dose change or pause is not a new line); the record's "
    "line numbers win. "
)


CAR_T_CLASS_SUFFIX = "car_t"
"""Drug classes of CAR-T cell products end so (``bcma_car_t``; ``car_t`` when the product is
not recorded)."""


def bridging_warnings(a: Assessment) -> list[str]:
    """CAR-T lines that start without a progression since the previous line started (the
    previous course may be bridging; see the module docstring)."""
    car_t_days = {p.date for p in a.record.procedures or [] if p.type == "car_t"}
    found = []
    for before, line in zip(a.lines, a.lines[1:], strict=False):
        first = line.courses[0]
        if (
            first.index < len(a.record.treatments or [])
            and (a.record.treatments or [])[first.index].line is not None
        ):
            continue
        classes = {c for d in first.drugs for c in a.catalogue.classes_of(d)}
        car_t = any(c.endswith(CAR_T_CLASS_SUFFIX) for c in classes) or first.start in car_t_days
        progressed = any(before.start < e.date <= first.start for e in a.progression_events)
        if car_t and not progressed:
            found.append(
                f"line {line.number} ({first.label()}) is a CAR-T started without a progression "
                f"since line {before.number} started ({before.courses[0].label()}): if that "
                "was bridging therapy, it is commonly counted with the CAR-T as one line (IMWG "
                "2015 predates CAR-T and does not say) — give the courses' `line` to count "
                "them so"
            )
    return found


def repeat_warnings(a: Assessment) -> list[str]:
    """Courses entered twice (``timeline.repeated_courses``), each read once."""
    given = a.record.treatments or []
    return [
        f"treatments[{i}] repeats treatments[{first}] ({given[i].regimen or 'same drugs'}, "
        f"{given[i].start} to {given[i].end or 'ongoing'}): read once, as one course entered "
        "twice — check the record"
        for i, first in repeated_courses(a.record).items()
    ]


def unlisted_stop_warnings(a: Assessment) -> list[str]:
    """Courses stopped for progression that the record's progressions list (given) does not
    hold: the stop is counted as a progression on its last day (``timeline.recorded_events``),
    and the clinician should see that the list looks incomplete (review r75-04)."""
    if a.record.progressions is None:
        return []
    return [
        f"{e.source.removesuffix('.stop_reason')} stopped for progression on {e.date}, which "
        "the record's progressions do not list: counted as a progression on that day (its "
        "type unknown) — add it to progressions"
        for e in a.recorded_progressions
        if e.source.endswith(".stop_reason")
    ]


def _warnings(a: Assessment) -> list[str]:
    return lab_warnings(a) + bridging_warnings(a) + repeat_warnings(a) + unlisted_stop_warnings(a)


@dataclass(frozen=True, slots=True)
class Position:
    prior: int | None
    current: int | None
    why: str


def describe_lines(a: Assessment) -> str:
    """The derived lines, one clause each (number, courses, why it started)."""
    return "; ".join(line.describe() for line in a.lines)


def position(a: Assessment) -> Position:
    """Prior and current line at the decision date (memoised per assessment)."""
    key = ("line_position", "")
    if key not in a.memo:
        a.memo[key] = _position(a)
    found: Position = a.memo[key]
    return found


def _position(a: Assessment) -> Position:
    if a.record.treatments is None:
        if a.stated_status == "newly_diagnosed":
            # newly diagnosed: untreated, or on the first line without progression
            return Position(
                0,
                1,
                f"{a.stated_by} newly_diagnosed: the first line (treatment history not recorded)",
            )
        return Position(None, None, "treatment history not recorded")
    if not a.lines:
        return Position(0, 1, "no treatment recorded: the first line is the decision")
    latest = max(a.lines, key=lambda line: line.number)
    lines = describe_lines(a)
    progressed = a.get("progressive_disease")
    if progressed.value is True:
        return Position(
            latest.number,
            latest.number + 1,
            f"progression since line {latest.number} started ({progressed.why}): a decision "
            f"about line {latest.number + 1}. Lines: {lines}",
        )
    failed = failed_without_response(a, latest)
    if progressed.value is False and failed:
        return Position(
            latest.number,
            latest.number + 1,
            f"line {latest.number} ended without reaching a minimal response ({failed}): "
            "non-responsive, refractory by IMWG, so this is a decision about line "
            f"{latest.number + 1}. Lines: {lines}",
        )
    status = a.stated_status
    if progressed.value is False and status == "relapsed" and latest.number == 1:
        # the record's status wins, as for the fact ``relapsed``: a relapse after the only
        # line of therapy, although no progression is recorded (found by settling unknown
        # progressions to [] over every review case: the patient was "relapsed" yet on line 1)
        return Position(
            1,
            2,
            f"{a.stated_by} relapsed with one line of therapy: the relapse came after line 1 "
            f"started, so this is a decision about line 2 — but no progression is recorded "
            f"({progressed.why}): list it with its date and type. Lines: {lines}",
        )
    if progressed.value is False:
        return Position(
            latest.number - 1,
            latest.number,
            f"no progression since line {latest.number} started: it is the current line. "
            f"Lines: {lines}",
        )
    if status == "newly_diagnosed":
        return Position(
            latest.number - 1,
            latest.number,
            f"{a.stated_by} newly_diagnosed: line {latest.number} is the current line. "
            f"Lines: {lines}",
        )
    if status == "relapsed" and latest.number == 1:
        return Position(
            1,
            2,
            f"{a.stated_by} relapsed with one line of therapy: the relapse came after line 1 "
            f"started, so this is a decision about line 2. Lines: {lines}",
        )
    return Position(
        None,
        None,
        f"whether the disease progressed since line {latest.number} started is unknown "
        f"({progressed.why}): line {latest.number} is the current line, or a decision about "
        f"line {latest.number + 1}. Lines: {lines}",
    )


@fact(
    "prior_lines",
    definition=DEFINITION + "Prior lines: the lines started before the progression being "
    "treated; a line the patient is on without progression is the current line, not a prior one",
    needs=NEEDS,
    kind="number",
    warnings=_warnings,
)
def prior_lines(a: Assessment) -> tuple[Value, str]:
    found = position(a)
    return found.prior, found.why


@fact(
    "current_line",
    definition=DEFINITION + "Current line: the line the patient is on (or in remission after) "
    "without progression since it started; after progression, the next line",
    needs=NEEDS,
    kind="number",
    warnings=_warnings,
)
def current_line(a: Assessment) -> tuple[Value, str]:
    found = position(a)
    return found.current, found.why
