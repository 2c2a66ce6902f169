"""Minimal residual disease (MRD) at the two decision points of the first-line pathway.

Seed 003 (DMSG v2.0):
- Recommendation 8: standard-risk patients "som opnår MRD-negativitet efter fire serier
  induktionsbehandling" after a quadruplet may omit HDT. The recommendation names no
  sensitivity; the evidence section ties the pre-HDT decision to 10⁻⁵ ("MRD-negativitet
  ved 10^{-5} sensitivitet før HDT er en stærk prognostisk markør"), so mmpath requires a
  negative result at a sensitivity of at least :data:`PRE_HDT_SENSITIVITY` (i.e. a
  recorded ``sensitivity`` ≤ 1e-5).
- Dual maintenance "hos patienter, der er MRD-positive efter HDT/konsolidering": no
  sensitivity and no time point are given; mmpath uses the latest MRD result dated after
  the first ASCT, whatever its sensitivity.

Timing (mmpath's reading, stated in the reasons): "after induction" = the latest MRD
result dated on or after the start of first-line induction and before the first ASCT (or
up to the decision date when no ASCT was given). The four-cycle condition is the separate
fact ``induction_cycles``.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact
from mmpath.assess.first_line import induction_courses, procedures_of
from mmpath.record.model import MrdResult

PRE_HDT_SENSITIVITY = 1e-5
"""Seed 003: MRD negativity at 10⁻⁵ before HDT."""


def _describe(result: MrdResult) -> str:
    sensitivity = f" at {result.sensitivity:.0e}" if result.sensitivity else ""
    return f"MRD {result.result}{sensitivity} on {result.date}"


@fact(
    "mrd_negative_after_induction",
    definition="MRD-negative at 10⁻⁵ or deeper in the latest MRD result after the start of "
    "first-line induction and before HDT (seed 003, recommendation 8 and its evidence: "
    "'MRD-negativitet ved 10^{-5} sensitivitet før HDT')",
    needs=("mrd", "treatments", "procedures"),
)
def mrd_negative_after_induction(a: Assessment) -> tuple[Value, str]:
    induction = induction_courses(a)
    if not induction:
        return None, "no induction given yet"
    ascts = procedures_of(a, "autologous_sct")
    until = ascts[0].date if ascts else a.as_of
    results = sorted(
        (m for m in a.record.mrd or [] if induction[0].start <= m.date <= until),
        key=lambda m: m.date,
    )
    if not results:
        return None, (
            "no MRD result between the start of induction and HDT (the guideline notes MRD "
            "after induction is not yet standard)"
        )
    latest = results[-1]
    if latest.result == "positive":
        return False, _describe(latest)
    if latest.sensitivity is None:
        return None, f"{_describe(latest)}: sensitivity not recorded (needs 10⁻⁵)"
    if latest.sensitivity > PRE_HDT_SENSITIVITY:
        return None, f"{_describe(latest)}: less sensitive than 10⁻⁵, not settled at 10⁻⁵"
    return True, _describe(latest)


@fact(
    "mrd_positive_after_hdt",
    definition="MRD-positive in the latest MRD result after the first ASCT (seed 003: "
    "'MRD-positive efter HDT/konsolidering'; no sensitivity or time point given)",
    needs=("mrd", "procedures"),
)
def mrd_positive_after_hdt(a: Assessment) -> tuple[Value, str]:
    ascts = procedures_of(a, "autologous_sct")
    if not ascts:
        return None, "HDT not yet given" if a.record.procedures is not None else (
            "procedures not recorded"
        )
    results = sorted(
        (m for m in a.record.mrd or [] if m.date > ascts[0].date), key=lambda m: m.date
    )
    if not results:
        return None, f"no MRD result after the ASCT of {ascts[0].date}"
    latest = results[-1]
    return latest.result == "positive", _describe(latest) + " (after HDT)"
