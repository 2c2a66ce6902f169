"""No response on a course, read from the serum M-protein when its best response is not
recorded.

IMWG refractoriness counts non-response: "Non-responsive: failure to reach minimal response
(MR)" (shared/reference/clinical-definitions.md, Refractoriness). Minimal response needs a
fall of the serum M-protein by at least 25 % (IMWG 2016 response criteria, Kumar et al.,
Lancet Oncol 2016;17:e328: MR = "≥ 25 % but ≤ 49 % reduction of serum M-protein and
reduction in 24-h urine M-protein by 50-89 %"; every better category needs a larger fall).
So when the serum M-protein is measurable at the start of a course (≥ 1 g/dL, IMWG 2016)
and no measurement on the course falls 25 % below that baseline, the course reached no
response, whatever the urine shows: stable or progressive disease.

Only this direction is derived. A fall of ≥ 25 % is not MR by itself when the urine
M-protein is measurable too, and the deeper categories (VGPR, CR) need immunofixation and
the marrow; a recorded best response always wins. The verdict needs:

- a baseline: the latest serum M-protein from :data:`BASELINE_DAYS` before the course
  started up to its first day;
- a course that has ended by the decision date (a course still running may respond yet);
- a measurement on the course at least :data:`MIN_EXPOSURE_DAYS` after its start (the
  operational drug-refractory definition asks for "≥ 4 weeks of the drug",
  clinical-definitions.md).

Found by the independent review (round 61, r61-01): Rd stopped after four cycles with the
serum M-protein at 2.7-2.8 g/dL from 3.0 and no best response recorded was "refractory to
none", and the patient "not relapsed".
"""

from __future__ import annotations

import datetime as dt

from mmpath.assess.assessment import Assessment
from mmpath.assess.lab_progression import SERUM_MEASURABLE_G_DL
from mmpath.assess.timeline import Course

MR_FALL = 0.25
"""The smallest fall of the serum M-protein that any response (MR or better) needs."""
BASELINE_DAYS = 31
"""How long before a course's start a serum M-protein still counts as its baseline."""
MIN_EXPOSURE_DAYS = 28
"""The operational drug-refractory minimum: "≥ 4 weeks of the drug"."""


def lab_non_response(a: Assessment, c: Course) -> str | None:
    """Why ``c`` reached no response by its serum M-protein, or None when the series cannot
    tell (see the module docstring)."""
    if c.end is None or c.end > a.as_of:
        return None
    serum = a.series("serum_m_protein")
    before = [
        (d, v) for d, v in serum if c.start - dt.timedelta(days=BASELINE_DAYS) <= d <= c.start
    ]
    if not before:
        return None
    day0, baseline = before[-1]
    if baseline < SERUM_MEASURABLE_G_DL:
        return None
    on = [(d, v) for d, v in serum if c.start < d <= c.end]
    if not on or (on[-1][0] - c.start).days < MIN_EXPOSURE_DAYS:
        return None
    lowest = min(v for _, v in on)
    if lowest <= baseline * (1 - MR_FALL):
        return None
    fall = round(100 * (baseline - lowest) / baseline)
    return (
        f"no response by the serum M-protein: {baseline:g} g/dL on {day0.isoformat()}, "
        f"lowest {lowest:g} g/dL in {len(on)} measurement(s) on the course ({fall} % fall; "
        "minimal response needs 25 %)"
    )
