"""Progressive disease from the laboratory series (IMWG 2016 response criteria).

Kumar et al., Lancet Oncol 2016;17:e328 (shared/reference/clinical-definitions.md,
"Progressive disease"): an increase of ≥ 25 % from the lowest confirmed response value
(nadir) in
1. serum M-protein, absolute increase ≥ 0.5 g/dL (≥ 1 g/dL when the nadir was ≥ 5 g/dL);
2. urine M-protein, absolute increase ≥ 200 mg/24 h;
3. only when serum and urine M-protein are not measurable: the difference between
   involved and uninvolved free light chains (dFLC), absolute increase > 100 mg/L.

**Confirmed nadir.** IMWG 2016 measures from the lowest *confirmed* value, and every
response category needs two consecutive assessments. mmpath reads this as: a level is
confirmed when two consecutive measurements are both at or below it, i.e. each pair of
consecutive measurements confirms the higher of the two; the confirmed nadir before a
measurement is the lowest level confirmed by pairs that precede it. A single low value
(an outlier, or a sample error) therefore never sets the nadir: 2.0, 0.5, 2.0, 2.1 g/dL
has a confirmed nadir of 2.0 and no progression. Until two measurements exist in a line
there is no confirmed nadir and no progression from the series.

Progression needs two consecutive assessments meeting the criterion against the same
nadir; it is dated at the first of them. A single (last) assessment meeting it is
reported as unconfirmed. The nadir restarts at the start of every line of therapy.
Measurable disease (IMWG): serum M-protein ≥ 1 g/dL or urine M-protein ≥ 200 mg/24 h.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MIN_RELATIVE_INCREASE = 0.25
SERUM_MEASURABLE_G_DL = 1.0
URINE_MEASURABLE_MG_24H = 200.0
LAB_FOLLOW_UP_DAYS = 92
"""With no progressions recorded, the lab series shows the disease has not progressed only
when its latest assessment is at most this many days before the decision date (mmpath's
reading: response is assessed every cycle to every three months on and after therapy; an
older series cannot tell)."""
DFLC_SOURCE_READING_MG_L = 100.0
"""Seed 001 restates the dFLC criterion as "≥100 mg/L" where IMWG 2016 writes "> 100 mg/L";
mmpath follows IMWG and warns when only the seed's reading is met."""
DECIMALS = 9
"""Differences are rounded to this many decimals before comparing: binary floating point
makes 0.7 - 0.2 = 0.49999999999999994, which must count as the + 0.5 g/dL it is."""


def serum_minimum_increase(nadir: float) -> float:
    return 1.0 if nadir >= 5.0 else 0.5


def urine_minimum_increase(nadir: float) -> float:
    return 200.0


def dflc_minimum_increase(nadir: float) -> float:
    # "> 100 mg/L": strictly greater; compared with >= below, so add a step far below the
    # precision of reported values but above the rounding in ``meets``.
    return 100.0 + 1e-6


@dataclass(frozen=True, slots=True)
class LabProgression:
    date: dt.date
    test: str
    nadir: float
    value: float
    confirmed: bool
    previous: dt.date | None = None
    """The series' measurement before the rise: the progression came after it, at the
    latest on ``date`` (a long gap between the two leaves its real date open)."""
    implied_by: str | None = None
    """The recorded best response whose nadir it was measured against, when the series never
    measured the nadir itself (:func:`implied_progression`)."""


def meets(value: float, nadir: float, minimum_increase: Callable[[float], float]) -> bool:
    """Whether ``value`` is progression against ``nadir`` (≥ 25 % and the absolute step)."""
    increase = round(value - nadir, DECIMALS)
    return increase >= round(MIN_RELATIVE_INCREASE * nadir, DECIMALS) and increase >= round(
        minimum_increase(nadir), DECIMALS
    )


def detect(
    series: Sequence[tuple[dt.date, float]],
    test: str,
    minimum_increase: Callable[[float], float],
    line_starts: Sequence[dt.date] = (),
) -> list[LabProgression]:
    """Progressions in a dated series (canonical units), at most one per line segment,
    measured from the confirmed nadir (module docstring)."""
    points = sorted(series)
    found: list[LabProgression] = []
    nadir: float | None = None  # lowest level confirmed by two consecutive values
    previous: float | None = None  # the value before, in the same line segment
    segment_done = False
    resets = sorted(line_starts)
    for i, (day, value) in enumerate(points):
        previous_day = points[i - 1][0] if i else None
        if previous_day is not None and any(previous_day < r <= day for r in resets):
            nadir, previous, segment_done = None, None, False
        if nadir is not None and not segment_done and meets(value, nadir, minimum_increase):
            following = points[i + 1] if i + 1 < len(points) else None
            crosses_reset = following is not None and any(day < r <= following[0] for r in resets)
            if following is not None and not crosses_reset:
                if meets(following[1], nadir, minimum_increase):
                    found.append(LabProgression(day, test, nadir, value, True, previous_day))
                    segment_done = True
                    continue
            else:
                found.append(LabProgression(day, test, nadir, value, False, previous_day))
                segment_done = True
                continue
        if previous is not None:
            level = max(previous, value)
            nadir = level if nadir is None else min(nadir, level)
        previous = value
    return found


@dataclass(frozen=True, slots=True)
class UnmeasuredRise:
    """A rise that meets the IMWG criterion against a single low value but not against a
    confirmed nadir: the series can neither show nor rule out progression there."""

    date: dt.date
    test: str
    low: float
    low_date: dt.date
    value: float


def unmeasured_rises(
    series: Sequence[tuple[dt.date, float]],
    test: str,
    minimum_increase: Callable[[float], float],
    line_starts: Sequence[dt.date] = (),
    progressions: Sequence[LabProgression] | None = None,
) -> list[UnmeasuredRise]:
    """Per line segment, a rise that meets the criterion against the segment's *first*
    measurement while :func:`detect` finds no progression there: the first value cannot be
    confirmed by one before it, so when the next values rise (0.6, 1.3, 1.7 g/dL: confirmed
    nadir 1.3) the 0.6 may have been the real nadir — review r79-06, a registry extract
    measured only in the last weeks of maintenance. IMWG 2016 measures from the lowest
    *confirmed* value, so such a series shows neither progression nor its absence. A single
    low value after higher ones in the segment is the outlier of the module docstring
    (2.0, 0.5, 2.0, 2.1: no progression), not this."""
    found: list[UnmeasuredRise] = []
    if progressions is None:  # (the caller may pass what it already found)
        progressions = detect(series, test, minimum_increase, line_starts)
    points = sorted(series)
    resets = sorted(line_starts)
    first: tuple[dt.date, float] | None = None
    segment_done = False
    for i, (day, value) in enumerate(points):
        if i and any(points[i - 1][0] < r <= day for r in resets):
            first, segment_done = None, False
        if first is None:
            first = (day, value)
            continue
        if segment_done:
            continue
        if value <= first[1]:
            segment_done = True  # a later value at or below it confirms the first one
        elif meets(value, first[1], minimum_increase):
            following = points[i + 1] if i + 1 < len(points) else None
            if (
                following is not None
                and not any(day < r <= following[0] for r in resets)
                and not meets(following[1], first[1], minimum_increase)
            ):
                continue  # back down at the next value: a single outlier, not a rise
            segment_start = max((r for r in resets if r <= day), default=None)
            if not any(
                (segment_start is None or p.date > segment_start) and p.date <= day
                for p in progressions
            ):
                found.append(UnmeasuredRise(day, test, first[1], first[0], value))
            segment_done = True
    return found


RESPONSE_CEILING = {"sCR": 0.0, "CR": 0.0, "VGPR": 0.1, "PR": 0.5}
"""IMWG 2016 response criteria (Kumar et al., Lancet Oncol 2016;17:e328) for the serum and
urine M-protein: PR ≥ 50 % reduction, VGPR ≥ 90 % reduction (urine also < 100 mg/24 h), CR
negative immunofixation. Each is confirmed by two assessments, so a recorded best response
bounds the line's confirmed nadir: at most this fraction of the baseline value."""


DFLC_RESPONSE_CEILING = {"VGPR": 0.1, "PR": 0.5}
"""IMWG 2016 for disease measurable only by the free light chains: PR ≥ 50 %, VGPR ≥ 90 %
decrease in the difference between involved and uninvolved FLC (dFLC); CR is defined by
immunofixation and the FLC ratio, not by a dFLC level, so it bounds nothing here."""


RESPONSE_NEAR_END_DAYS = 28
"""How close before a course's end a value counts as measured "at its end" for
:attr:`ResponseCheck.warning` (mmpath's window for a warning, not a clinical threshold)."""


@dataclass(frozen=True, slots=True)
class ResponseCheck:
    """A recorded best response against the followed marker's series: the response's bound
    (its :data:`RESPONSE_CEILING` fraction of the value before the line) and the values
    measured from the course's start to :data:`LAB_FOLLOW_UP_DAYS` after its end (``stop``;
    for an ASCT, 92 days after it)."""

    label: str
    response: str
    start: dt.date
    stop: dt.date
    baseline: float
    bound: float
    seen: list[tuple[dt.date, float]]
    test: str
    minimum_increase: Callable[[float], float]

    @property
    def contradicted(self) -> bool:
        """Every value measured in the window lies above the bound: the response does not
        bound the nadir (the series never reached it)."""
        return bool(self.seen) and min(v for _, v in self.seen) > self.bound

    @property
    def warning(self) -> str | None:
        """A warning, or None. The response bounds the nadir (IMWG 2016, confirmed by two
        assessments), so a value at the course's end (from :data:`RESPONSE_NEAR_END_DAYS`
        before it to 92 days after) that is progression from the bound (:func:`meets`), in a
        series that never reached the bound, means the response was not reached or was
        followed by a progression the record does not show (review r84-02: VGPR recorded,
        0.9 g/dL from 2.6 at the end of induction and a plateau at 0.8). A value merely above
        the bound is not enough: a long course measured only late says nothing of its best
        response."""
        if not self.contradicted:
            return None
        near_end = self.stop - dt.timedelta(days=RESPONSE_NEAR_END_DAYS)
        at_end = [
            (d, v)
            for d, v in self.seen
            if d >= near_end and meets(v, self.bound, self.minimum_increase)
        ]
        if not at_end:
            return None
        day, value = min(at_end, key=lambda p: abs((p[0] - self.stop).days))
        return (
            f"{self.label}: recorded best response {self.response} (the {self.test} at most "
            f"{self.bound:g}, from the baseline {self.baseline:g}), but it was {value:g} on "
            f"{day.isoformat()}, when that response would hold, and no value from the start reached {self.bound:g}: "
            "the response was not reached, or a progression the record does not show followed "
            "it — check the recorded response, the values and the progressions (mmpath uses "
            "the recorded response; IMWG 2016)"
        )


def implied_progression(
    points: Sequence[tuple[dt.date, float]],
    baseline: float,
    responses: Sequence[tuple[dt.date, str]],
    test: str,
    minimum_increase: Callable[[float], float],
) -> LabProgression | None:
    """Progression in one line's measurements (``points``, after the line started) against
    the nadir the line's recorded best responses imply (:data:`RESPONSE_CEILING` ×
    ``baseline``, the value before the line), when the series never measured that nadir
    itself (review r79-06: VGPR from 3.0 g/dL, then 0.6, 1.3, 1.7 measured only in the last
    weeks of maintenance).

    ``responses`` are (end of the course, its best response) for courses whose response the
    series does not contradict: a response counts only for values after its course ended,
    when it had certainly been reached. The nadir is the lower of that ceiling and the levels
    the series confirmed (two consecutive values), never a single low value (an outlier).
    The criterion is monotone in the nadir (a lower nadir is easier to exceed), so a rise
    that meets it against this upper bound meets it against the true nadir. Two consecutive
    values are needed, as for :func:`detect`; a last single one is unconfirmed."""
    if not points:
        return None
    values = [v for _, v in points]
    ceilings = DFLC_RESPONSE_CEILING if test == "dFLC" else RESPONSE_CEILING
    for j in range(len(points)):
        day, value = points[j]
        reached = [(ceilings[r], r) for end, r in responses if end < day and r in ceilings]
        if not reached:
            continue
        fraction, response = min(reached)
        # the nadir is at most the response's ceiling and at most any level two consecutive
        # values confirmed before this one; a single low value (an outlier) is neither
        confirmed = [max(a, b) for a, b in itertools.pairwise(values[:j])]
        nadir = min([round(baseline * fraction, DECIMALS), *confirmed])
        if not meets(value, nadir, minimum_increase):
            continue
        previous = points[j - 1][0] if j else None
        if j + 1 == len(points):
            return LabProgression(day, test, nadir, value, False, previous, response)
        if meets(points[j + 1][1], nadir, minimum_increase):
            return LabProgression(day, test, nadir, value, True, previous, response)
    return None
