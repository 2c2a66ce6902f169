"""How fast the paraprotein rises at relapse: IMWG "significant biochemical relapse".

Seed 001 (OPTIMAL TIMING OF TREATMENT INITIATION): "When a rapid increase in paraprotein
occurs, anti-myeloma treatment should not be delayed ..." — the seed does not quantify
"rapid". mmpath reads it with the IMWG criteria for a significant biochemical (paraprotein)
relapse that warrants treatment (shared/reference/clinical-definitions.md, "Biochemical vs
clinical relapse", tagged [V]):

1. the serum M-protein doubles in two measurements at most :data:`DOUBLING_WINDOW_DAYS` apart,
   from a value of at least 5 g/L (:data:`DOUBLING_FROM_G_DL` in g/dL);
2. serum M-protein rises by ≥ 10 g/L (:data:`SERUM_RISE_G_DL`);
3. urine M-protein rises by ≥ 500 mg/24 h (:data:`URINE_RISE_MG_24H`);
4. involved free light chain rises by ≥ 200 mg/L (:data:`FLC_RISE_MG_L`) with an abnormal
   κ/λ ratio (outside :data:`FLC_RATIO_NORMAL`, the serum FLC reference range).

Rises (2–4) are measured from the lowest value since the start of the latest line of
therapy (as IMWG progression is) and must hold in the last two consecutive measurements
(IMWG asks for two consecutive measurements), so they need three measurements; when only the
latest measurement meets the threshold the fact is unknown until the next one (review
r59-06: urine 40 → 350 → 950 mg/24 h read as "not rapid"). A progression
recorded with the feature ``rapid_rise`` counts as true. With fewer than three measurements
of every test since the start of the latest line (and no doubling), the fact is unknown.
"""

from __future__ import annotations

import datetime as dt
import itertools

from mmpath.assess.assessment import Assessment
from mmpath.assess.disease_status import current_event
from mmpath.assess.fact import Value, fact

DOUBLING_WINDOW_DAYS = 62  # "2 months"
DOUBLING_FROM_G_DL = 0.5  # 5 g/L
SERUM_RISE_G_DL = 1.0  # 10 g/L
URINE_RISE_MG_24H = 500.0
FLC_RISE_MG_L = 200.0
FLC_RATIO_NORMAL = (0.26, 1.65)
MIN_POINTS = 3  # a lowest value, then two consecutive measurements above it

Series = list[tuple[dt.date, float]]


def _since_line_start(a: Assessment, series: Series) -> Series:
    start = a.line_starts[-1] if a.line_starts else None
    return [(d, v) for d, v in series if start is None or d >= start]


def doubling(series: Series) -> str | None:
    """The first consecutive pair that doubles from ≥ 5 g/L within 2 months, described."""
    for (d0, v0), (d1, v1) in itertools.pairwise(series):
        if v0 >= DOUBLING_FROM_G_DL and v1 >= 2 * v0 and (d1 - d0).days <= DOUBLING_WINDOW_DAYS:
            return f"serum M-protein doubled from {v0:g} to {v1:g} g/dL between {d0} and {d1}"
    return None


def rise(series: Series, threshold: float) -> tuple[float, float] | None:
    """(nadir, last) when the last two measurements both exceed the nadir by ``threshold``."""
    if len(series) < MIN_POINTS:
        return None
    *earlier, before_last, last = series
    nadir = min(v for _, v in earlier)
    if before_last[1] - nadir >= threshold and last[1] - nadir >= threshold:
        return nadir, last[1]
    return None


def unconfirmed_rise(series: Series, threshold: float) -> tuple[float, float] | None:
    """(nadir, last) when only the last measurement exceeds the nadir by ``threshold``: the
    rise waits for its confirming measurement (IMWG: two consecutive measurements)."""
    if len(series) < MIN_POINTS - 1:
        return None
    *earlier, last = series
    nadir = min(v for _, v in earlier)
    return (nadir, last[1]) if last[1] - nadir >= threshold else None


def _involved_flc(a: Assessment) -> tuple[Series, dict[dt.date, float]]:
    """Involved FLC series and κ/λ ratios by date (empty when the isotype gives no chain)."""
    isotype = ((a.record.diagnosis and a.record.diagnosis.isotype) or "").lower()
    kappa = dict(a.series("flc_kappa"))
    lamb = dict(a.series("flc_lambda"))
    involved = kappa if "kappa" in isotype else lamb if "lambda" in isotype else None
    if involved is None:
        return [], {}
    ratios = {d: kappa[d] / lamb[d] for d in kappa.keys() & lamb.keys() if lamb[d] > 0}
    return sorted(involved.items()), ratios


@fact(
    "paraprotein_rising_rapidly",
    definition="IMWG significant biochemical relapse (reading seed 001 'rapid increase in "
    "paraprotein'): M-protein doubling within 2 months from ≥ 5 g/L, or a rise from the "
    "lowest value since the latest line of ≥ 10 g/L serum, ≥ 500 mg/24 h urine, or ≥ 200 mg/L "
    "involved FLC with abnormal ratio, in two consecutive measurements; or a progression "
    "recorded with feature 'rapid_rise'",
    needs=("labs", "progressions", "treatments"),
)
def paraprotein_rising_rapidly(a: Assessment) -> tuple[Value, str]:
    event = current_event(a)
    if event is not None and "rapid_rise" in event.features:
        return True, f"progression on {event.date} recorded with rapid_rise"
    if a.record.treatments is None:
        return None, (
            "treatments not recorded: the start of the latest line, from which the rise is "
            "measured, is unknown"
        )
    serum = _since_line_start(a, a.series("serum_m_protein"))
    urine = _since_line_start(a, a.series("urine_m_protein"))
    involved, ratios = _involved_flc(a)
    involved = _since_line_start(a, involved)
    low, high = FLC_RATIO_NORMAL
    found = doubling(serum)
    if found:
        return True, found
    checks = (
        ("serum M-protein", serum, SERUM_RISE_G_DL, "g/dL"),
        ("urine M-protein", urine, URINE_RISE_MG_24H, "mg/24h"),
    )
    for label, series, threshold, unit in checks:
        hit = rise(series, threshold)
        if hit:
            return True, f"{label} rose from {hit[0]:g} to {hit[1]:g} {unit} (≥ {threshold:g})"
    hit = rise(involved, FLC_RISE_MG_L)
    if hit:
        last_day = involved[-1][0]
        ratio = ratios.get(last_day)
        if ratio is not None and not low <= ratio <= high:
            return True, (
                f"involved FLC rose from {hit[0]:g} to {hit[1]:g} mg/L with κ/λ ratio {ratio:.2f}"
            )
        if ratio is None:
            return None, (
                f"involved FLC rose from {hit[0]:g} to {hit[1]:g} mg/L (≥ {FLC_RISE_MG_L:g}), but "
                "the κ/λ ratio of that day is not recorded (IMWG: with an abnormal ratio)"
            )
    last_ratio = ratios.get(involved[-1][0]) if involved else None
    flc = (
        ()
        if last_ratio is not None and low <= last_ratio <= high
        else (("involved FLC", involved, FLC_RISE_MG_L, "mg/L"),)
    )
    pending = [
        f"{label} {hit[0]:g} to {hit[1]:g} {unit} on {series[-1][0]} (≥ {threshold:g})"
        for label, series, threshold, unit in (*checks, *flc)
        if (hit := unconfirmed_rise(series, threshold)) is not None
    ]
    if pending:
        return None, (
            f"the latest measurement rose above the IMWG threshold ({'; '.join(pending)}) but "
            "the one before did not: a significant rise needs two consecutive measurements — "
            "repeat the measurement"
        )
    measured = [
        label
        for label, s in (("serum", serum), ("urine", urine), ("FLC", involved))
        if len(s) >= MIN_POINTS
    ]
    if measured:
        return False, (
            f"no doubling and no rise above the IMWG thresholds in {', '.join(measured)} "
            "since the start of the latest line"
        )
    return None, (
        f"fewer than {MIN_POINTS} measurements of any paraprotein test since the start of the "
        "latest line"
    )
