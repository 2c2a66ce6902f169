"""Lenalidomide retreatment (seed 000, footnote * of the bortezomib-relapse section).

"Schema met lenalidomide kan herhaald worden als recidief >1 jaar na staken van therapie
optreedt en destijds VGPR of beter werd bereikt." — a lenalidomide regimen may be
repeated when the relapse comes more than one year after stopping it and VGPR or better
was reached then. The relapse is the latest progression after the last lenalidomide
course ended; without a recorded progression list only a known gap of more than a year
decides (a later, unrecorded relapse could only lengthen it).

A lenalidomide course started after the relapse being treated (the latest progression) is
that relapse's treatment, not an earlier course: a patient responding on second-line DRd
after a first line without lenalidomide was not "given lenalidomide before" (independent
review round 21, case r21-02): the courses the rule looks at are
``refractoriness.before_relapse``'s, as for ``lenalidomide_given_before_relapse``.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact
from mmpath.assess.refractoriness import before_relapse
from mmpath.assess.timeline import RESPONSE_RANK

MIN_DAYS_OFF = 365


@fact(
    "lenalidomide_retreatment_possible",
    definition="seed 000: relapse more than 1 year after stopping lenalidomide, with VGPR or "
    "better reached on it",
    needs=("treatments", "progressions"),
)
def lenalidomide_retreatment_possible(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    given = a.exposed_to("lenalidomide")
    if not given:
        return False, "never received lenalidomide (retreatment does not apply)"
    courses = [c for c in before_relapse(a)[0] if "lenalidomide" in c.drugs]
    if len(courses) < len(given) and not a.progressions_recorded:
        # an unrecorded later relapse would put the later lenalidomide before it
        return None, (
            "progressions not recorded: which lenalidomide course came before the relapse "
            "being treated is unknown"
        )
    if not courses:
        return (
            False,
            "no lenalidomide before the relapse being treated (retreatment does not apply)",
        )
    last = max(courses, key=lambda c: c.start)
    if last.end is None:
        return False, f"still on lenalidomide: {last.label()}"
    later = [e for e in a.progression_events if e.date > last.end]
    if not later:
        if a.progressions_recorded:
            return False, f"no relapse recorded after stopping {last.label()}"
        return None, f"no relapse date after stopping {last.label()} recorded"
    event = later[-1]  # the relapse being treated now
    off_days = (event.date - last.end).days
    if off_days <= MIN_DAYS_OFF and not a.progressions_recorded:
        # progressions not recorded: a later relapse (the one being treated) may be missing
        return None, (
            f"latest known relapse {off_days} days after stopping {last.label()}; "
            "progressions not recorded, so the current relapse date is unknown"
        )
    response = last.best_response
    if off_days <= MIN_DAYS_OFF:
        return False, f"relapse {off_days} days after stopping {last.label()} (needs > 365)"
    if response is None:
        return None, f"relapse {off_days} days after stopping; best response on it not recorded"
    good = RESPONSE_RANK[response] >= RESPONSE_RANK["VGPR"]
    return good, f"relapse {off_days} days after stopping {last.label()}; best response {response}"
