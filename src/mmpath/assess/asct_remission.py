"""Length of the remission after the first autologous transplant (seed 001).

Seed 001 (THE ROLE OF STEM CELL TRANSPLANTATION AT RELAPSE): "both the progression-free
(PFS) and overall survival (OS) were significantly better with a remission duration of at
least 3 years after the first ASCT" (CIBMTR survey). Remission duration = time from the
first ASCT to the first progression after it, in months (``timeline.months_between``);
at least :data:`MIN_MONTHS` months counts.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact
from mmpath.assess.timeline import months_between

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
    if after:
        months = months_between(first, after[0].date)
        return months >= MIN_MONTHS, (
            f"first progression {months:.1f} months after the ASCT of {first} (needs ≥ {MIN_MONTHS})"
        )
    months = months_between(first, a.as_of)
    if a.progressions_recorded and months >= MIN_MONTHS:
        return True, f"no progression in {months:.1f} months since the ASCT of {first}"
    return None, f"no progression recorded after the ASCT of {first} ({months:.1f} months ago)"
