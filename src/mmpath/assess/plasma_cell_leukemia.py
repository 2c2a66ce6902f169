"""Plasma cell leukaemia (PCL).

Revised IMWG definition (Fernández de Larrea et al., Blood Cancer J 2021;11:192), restated in
seed 003 (section 4): "Den reviderede IMWG-definition af PCL kræver ≥ 5 % cirkulerende
plasmaceller (CTCs)" — PCL needs ≥ :data:`PCL_CIRCULATING_PERCENT` % circulating plasma cells
(shared/reference/clinical-definitions.md, "Plasma cell leukaemia", [V]). Seed 003's
high-risk definition names primary PCL ("primær plasmacelleleukæmi (PCL)").

- ``primary_plasma_cell_leukemia`` (at diagnosis): the record's
  ``diagnosis.plasma_cell_leukemia``, or circulating plasma cells ≥ 5 % at diagnosis (the
  latest value before first-line treatment; ``risk_imwg2025.baseline_lab``). When the flag
  says no but the baseline count is ≥ 5 %, the definition wins and a warning says so.
- ``plasma_cell_leukemia`` (now or at any time): primary PCL, a progression with the feature
  ``plasma_cell_leukemia`` (secondary PCL), or circulating plasma cells ≥ 5 % at any time.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact, in_words
from mmpath.assess.risk_imwg2025 import baseline_lab

PCL_CIRCULATING_PERCENT = 5.0
"""IMWG 2021: PCL when circulating plasma cells are ≥ 5 %."""


def _baseline_conflict(a: Assessment) -> list[str]:
    diagnosis = a.record.diagnosis
    lab = baseline_lab(a, "circulating_plasma_cells")
    if diagnosis is None or diagnosis.plasma_cell_leukemia is not False or lab is None:
        return []
    if lab.value < PCL_CIRCULATING_PERCENT:
        return []
    return [
        f"diagnosis.plasma_cell_leukemia is false, but circulating plasma cells were "
        f"{lab.value:g} % on {lab.date} (≥ 5 %: PCL by the IMWG 2021 definition); counted as PCL"
    ]


@fact(
    "primary_plasma_cell_leukemia",
    definition="plasma cell leukaemia at diagnosis: recorded in diagnosis.plasma_cell_leukemia, "
    "or ≥ 5 % circulating plasma cells before first-line treatment (IMWG 2021, restated in "
    "seed 003)",
    needs=("diagnosis", "labs"),
    warnings=_baseline_conflict,
)
def primary_plasma_cell_leukemia(a: Assessment) -> tuple[Value, str]:
    lab = baseline_lab(a, "circulating_plasma_cells")
    if lab is not None and lab.value >= PCL_CIRCULATING_PERCENT:
        return True, f"circulating plasma cells {lab.value:g} % (≥ 5 %) on {lab.date}, at diagnosis"
    flag = a.record.diagnosis.plasma_cell_leukemia if a.record.diagnosis else None
    if flag is not None:
        return flag, f"plasma cell leukaemia at diagnosis (recorded): {in_words(flag)}"
    if lab is not None:
        return (
            False,
            f"circulating plasma cells {lab.value:g} % (< 5 %) on {lab.date}, at diagnosis",
        )
    return None, "neither diagnosis.plasma_cell_leukemia nor circulating plasma cells at diagnosis"


@fact(
    "plasma_cell_leukemia",
    definition="plasma cell leukaemia at diagnosis or since (secondary): primary PCL, a "
    "progression with feature plasma_cell_leukemia, or ≥ 5 % circulating plasma cells at any "
    "time (IMWG 2021)",
    needs=("diagnosis", "labs", "progressions"),
)
def plasma_cell_leukemia(a: Assessment) -> tuple[Value, str]:
    primary = a.get("primary_plasma_cell_leukemia")
    if primary.value is True:
        return True, f"primary: {primary.why}"
    featured = [e for e in a.progression_events if "plasma_cell_leukemia" in e.features]
    if featured:
        return True, f"secondary: progression on {featured[-1].date} with plasma_cell_leukemia"
    high = [(d, v) for d, v in a.series("circulating_plasma_cells") if v >= PCL_CIRCULATING_PERCENT]
    if high:
        day, value = high[-1]
        return True, f"circulating plasma cells {value:g} % (≥ 5 %) on {day}"
    if primary.value is False and a.progressions_recorded:
        return False, f"{primary.why}; no progression with plasma cell leukaemia recorded"
    return (
        None,
        f"{primary.why}; progressions {'recorded' if a.progressions_recorded else 'not recorded'}",
    )
