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
