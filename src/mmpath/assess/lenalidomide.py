"""Lenalidomide retreatment (seed 000, footnote * of the bortezomib-relapse section).

"Schema met lenalidomide kan herhaald worden als recidief >1 jaar na staken van therapie
optreedt en destijds VGPR of beter werd bereikt." — a lenalidomide regimen may be
repeated when the relapse comes more than one year after stopping it and VGPR or better
was reached then.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.disease_status import current_event
from mmpath.assess.fact import Value, fact
from mmpath.assess.timeline import RESPONSE_RANK

MIN_DAYS_OFF = 365


@fact(
    "lenalidomide_retreatment_possible",
    definition="seed 000: relapse more than 1 year after stopping lenalidomide, with VGPR or "
    "better reached on it",
    needs=("treatments", "progressions"),
)
def lenalidomide_retreatment_possible(a: Assessment) -> tuple[Value, str]:
    courses = a.exposed_to("lenalidomide")
    if not courses:
        return False, "never received lenalidomide (retreatment does not apply)"
    last = max(courses, key=lambda c: c.start)
    if last.end is None:
        return False, f"still on lenalidomide: {last.label()}"
    event = current_event(a) or (a.progression_events[-1] if a.progression_events else None)
    if event is None:
        return None, "no relapse date recorded"
    off_days = (event.date - last.end).days
    response = last.best_response
    if off_days <= MIN_DAYS_OFF:
        return False, f"relapse {off_days} days after stopping {last.label()} (needs > 365)"
    if response is None:
        return None, f"relapse {off_days} days after stopping; best response on it not recorded"
    good = RESPONSE_RANK[response] >= RESPONSE_RANK["VGPR"]
    return good, f"relapse {off_days} days after stopping {last.label()}; best response {response}"
