"""Length of the remission after the first autologous transplant (seed 001).

Seed 001 (THE ROLE OF STEM CELL TRANSPLANTATION AT RELAPSE): "both the progression-free
(PFS) and overall survival (OS) were significantly better with a remission duration of at
least 3 years after the first ASCT" (CIBMTR survey). Remission duration = time from the
first ASCT to the first progression after it, in calendar months: at least
:data:`MIN_MONTHS` months counts (on or after the day 36 calendar months after the ASCT,
``timeline.months_after``).
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact
from mmpath.assess.timeline import elapsed, months_after

MIN_MONTHS = 36


@fact(
    "remission_after_first_asct_3_years",
    definition="first progression at least 3 years (36 months) after the first ASCT "
    "(seed 001, CIBMTR survey)",
    needs=("procedures", "progressions", "treatments"),
)
def remission_after_first_asct_3_years(a: Assessment) -> tuple[Value, str]:
    procedures = a.record.procedures
    if procedures is None:
        return None, "procedures not recorded"
    ascts = sorted(p.date for p in procedures if p.type == "autologous_sct")
    if not ascts:
        return False, "no ASCT among the recorded procedures"
    first = ascts[0]
    after = [e for e in a.progression_events if e.date > first]
    boundary = months_after(first, MIN_MONTHS)
    if after:
        return after[0].date >= boundary, (
            f"first progression {elapsed(first, after[0].date)} after the ASCT of {first} "
            f"(needs ≥ {MIN_MONTHS} months: on or after {boundary})"
        )
    since = elapsed(first, a.as_of)
    if a.progressions_recorded and a.as_of >= boundary:
        return True, f"no progression in {since} since the ASCT of {first}"
    return None, f"no progression recorded after the ASCT of {first} ({since} ago)"
