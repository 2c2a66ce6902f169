"""Synthetic myeloma cohorts in the extract format (``mmpath synth``).

Each patient is drawn from its own random stream (``seed`` and the patient's number), so
a cohort is identical for a seed and patient *i* does not depend on the cohort size. The
rates and distributions are named constants below; docs/cohort.md lists them. They are
chosen to look like a registry, not estimated from one: synthetic cohorts are for tests,
demonstrations and benchmarks, never for clinical conclusions.

Course of a patient:

1. Diagnosis (2014-2024) at one of :data:`SITES`; age, ISS, isotype, FISH.
2. First line. Transplant candidates (age ≤ 70, ECOG < 2, no heart failure or dialysis,
   mostly) follow dk-ndmm-te's plan (choice.py) — induction, stem-cell collection, HDT/
   ASCT (tandem for some high-risk patients without CR), optional consolidation with the
   induction regimen, maintenance until progression — with era-dependent deviations
   (triplet induction before quadruplets became standard). Other patients get one of
   :data:`NON_TE_FIRST_LINE` (no shipped pack covers them).
3. Progression after an exponential time whose median falls with each line and halves
   for high-risk disease; on therapy for continuous regimens (refractory), after the end
   for fixed-duration ones. The M-protein (or free light chain) series follows the
   response and rises at the progression (IMWG: ≥ 25 % and ≥ 0.5 g/dL, confirmed by the
   next value), so the lab-derived progression matches the recorded one.
4. Next line after a clinical (days) or biochemical (weeks to months) relapse, chosen
   from the region's relapse pack (choice.py), up to :data:`MAX_LINES` lines, until the
   data cut or death.
5. Missing data at the rates of :data:`MISSING`; recorded decisions (the ``decisions``
   table) for some deviations with a reason, and for some on-pathway choices.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from mmpath.catalogue import load_catalogue
from mmpath.cohort.extract import DECISION_REASONS, TABLES
from mmpath.cohort.synth.choice import (
    ELDERLY_AGE,
    MAX_PRIOR_LINES,
    Offer,
    Situation,
    first_line_plan,
    key_drugs,
    relapse_offers,
    relapse_pack,
)

SITES = (
    ("nl-amsterdam", "NL"),
    ("nl-groningen", "NL"),
    ("dk-aarhus", "DK"),
    ("dk-odense", "DK"),
    ("be-leuven", "BE"),
    ("es-salamanca", "ES"),
    ("jp-tokyo", "JP"),
)
DIAGNOSIS_FROM = dt.date(2014, 1, 1)
DIAGNOSIS_TO = dt.date(2024, 12, 31)
DATA_CUT = dt.date(2025, 12, 31)
MAX_LINES = 6
QUADRUPLET_ERA = 2021
"""From this diagnosis year, transplant candidates mostly get the pack's quadruplets."""
ON_PATHWAY = {"quadruplet_era": 0.8, "before": 0.2, "relapse": 0.78, "maintenance": 0.9}
"""Probability that a choice is one the pack recommends (else a deviation)."""
MEDIAN_PFS_MONTHS = {1: 48.0, 2: 20.0, 3: 12.0, 4: 8.0, 5: 6.0, 6: 5.0}
NON_TE_PFS_FACTOR = 0.7
HIGH_RISK_PFS_FACTOR = 0.5
ANNUAL_DEATH_RATE = 0.06
MISSING = {
    "cytogenetics": 0.15,
    "ecog": 0.15,
    "iss": 0.10,
    "weight": 0.20,
    "frailty_charlson": 0.50,
    "frailty_adl": 0.70,
    "comorbidities": 0.08,
    "intolerances": 0.30,
    "progression_event": 0.20,
    "stop_reason": 0.15,
    "best_response": 0.15,
    "lab_series": 0.08,
    "transplant_eligible": 0.15,
    "response_date": 0.10,
}
"""Share of patients (or events) for which the item is not recorded."""
RECORD_DEVIATION_REASON = 0.55
RECORD_ON_PATHWAY = 0.10
REASON_WEIGHTS = (30, 25, 15, 10, 12, 8)
"""Weights of DECISION_REASONS for a recorded deviation."""

NON_TE_FIRST_LINE = (("DRd", 40, True), ("VRd", 30, False), ("D-VMP", 15, False), ("Rd", 15, True))
"""(regimen, weight, continuous) for patients who are not transplant candidates."""
TE_DEVIATIONS = ("VRd", "VTD", "VCD", "KRd")
RELAPSE_DEVIATIONS = (
    "Kd",
    "Pd",
    "Vd",
    "KRd",
    "DKd",
    "IsaKd",
    "DPd",
    "PVd",
    "Rd",
    "EPd",
    "SVd",
    "PCD",
    "teclistamab",
    "VCD",
)
FIXED_CYCLES = {"VRd": 8, "D-VMP": 9, "VCD": 6, "VTD": 6, "PCD": 6}
"""Fixed-duration regimens (cycles of 28 days); everything else runs until progression."""
ISOTYPES = (
    ("IgG kappa", 36),
    ("IgG lambda", 18),
    ("IgA kappa", 12),
    ("IgA lambda", 8),
    ("light chain kappa", 14),
    ("light chain lambda", 8),
    ("IgD lambda", 4),
)
COMORBIDITY_RATES = {
    "hypertension": 0.35,
    "diabetes": 0.12,
    "heart_failure": 0.05,
    "ischemic_heart_disease": 0.08,
    "arrhythmia": 0.07,
    "copd": 0.06,
    "peripheral_neuropathy": 0.05,
    "renal_impairment": 0.08,
    "dialysis": 0.01,
}
CYCLE = 28
BATCH = 20_000
"""Patients generated into Python lists before they become Polars columns (memory)."""
RESPONSE_RESIDUAL = {"sCR": 0.0, "CR": 0.0, "VGPR": 0.06, "PR": 0.3, "MR": 0.6, "SD": 0.9}


@dataclass
class Tables:
    """Columns per table, filled row by row (column lists: cheap for millions of rows)."""

    data: dict[str, dict[str, list[Any]]] = field(
        default_factory=lambda: {t: {c.name: [] for c in cols} for t, cols in TABLES.items()}
    )

    def add(self, table: str, **values: Any) -> None:
        for name, column in self.data[table].items():
            column.append(values.get(name))

    def frames(self) -> dict[str, pl.DataFrame]:
        from mmpath.cohort.extract import _dtype

        out = {}
        for table, columns in self.data.items():
            schema = {c.name: _dtype(c) for c in TABLES[table]}
            out[table] = pl.DataFrame(columns, schema=schema)
        return out


@dataclass
class Course:
    regimen: str
    drugs: frozenset[str]
    start: dt.date
    end: dt.date | None
    setting: str


@dataclass
class Patient:
    pid: str
    rng: random.Random
    tables: Tables
    region: str
    site: str
    age: int
    high_risk: bool
    diagnosis: dt.date
    te: bool
    measurable: str  # "serum" | "flc" | "none"
    m_level: float
    death: dt.date
    lambda_light: bool = False
    level: float = 0.0
    lowest: float = math.inf
    """The confirmed nadir since the current line started: the lowest level two
    consecutive values are both at or below (IMWG 2016, as assess/lab_progression.py)."""
    previous: float | None = None
    """The last marker value of the current line (to confirm the next one against)."""
    lines: int = 0
    exposed: set[str] = field(default_factory=set)
    refractory: set[str] = field(default_factory=set)
    asct: bool = False
    lab_days: list[tuple[dt.date, float]] = field(default_factory=list)

    def add(self, table: str, **values: Any) -> None:
        self.tables.add(table, patient_id=self.pid, **values)


def synthesise(patients: int, seed: int) -> dict[str, pl.DataFrame]:
    """``patients`` synthetic patients as extract tables (deterministic for ``seed``)."""
    parts: list[dict[str, pl.DataFrame]] = []
    for begin in range(0, patients, BATCH):
        tables = Tables()
        for i in range(begin, min(begin + BATCH, patients)):
            _patient(i, seed, tables)
        parts.append(tables.frames())  # Python lists -> compact columns, batch by batch
    if not parts:
        return Tables().frames()
    return {name: pl.concat([part[name] for part in parts]) for name in parts[0]}


def _weighted(rng: random.Random, items: Sequence[tuple[Any, int]]) -> Any:
    total = sum(w for _, w in items)
    pick = rng.uniform(0, total)
    for item, weight in items:
        pick -= weight
        if pick <= 0:
            return item
    return items[-1][0]


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _patient(index: int, seed: int, tables: Tables) -> None:
    rng = random.Random(f"{seed}:{index}")
    site, region = SITES[rng.randrange(len(SITES))]
    span = (DIAGNOSIS_TO - DIAGNOSIS_FROM).days
    diagnosis = DIAGNOSIS_FROM + dt.timedelta(days=rng.randrange(span))
    age = int(min(92, max(35, rng.gauss(67, 9))))
    birth = diagnosis - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))
    cytogenetics = {
        "del_17p": rng.random() < 0.10,
        "t_4_14": rng.random() < 0.12,
        "t_14_16": rng.random() < 0.03,
        "t_14_20": rng.random() < 0.01,
        "t_11_14": rng.random() < 0.18,
        "gain_1q": rng.random() < 0.35,
        "del_1p": rng.random() < 0.10,
    }
    cytogenetics["amp_1q"] = cytogenetics["gain_1q"] and rng.random() < 0.3
    fraction = round(rng.uniform(0.2, 0.9), 2) if cytogenetics["del_17p"] else None
    two_hits = (cytogenetics["t_4_14"] or cytogenetics["t_14_16"] or cytogenetics["t_14_20"]) and (
        cytogenetics["gain_1q"] or cytogenetics["del_1p"]
    )
    high_risk = bool((cytogenetics["del_17p"] and (fraction or 0) > 0.2) or two_hits)
    ecog = min(4, max(0, int(rng.gauss(0.6 + max(0, age - 65) / 15, 0.8))))
    comorbidities = sorted(c for c, rate in COMORBIDITY_RATES.items() if rng.random() < rate)
    te = age <= 70 and ecog < 2 and not {"heart_failure", "dialysis"} & set(comorbidities)
    te = te and rng.random() < 0.92
    isotype = _weighted(rng, ISOTYPES)
    measurable = "flc" if isotype.startswith("light chain") else "serum"
    if rng.random() < MISSING["lab_series"]:
        measurable = "none"
    m_level = rng.uniform(1.5, 6.0) if measurable == "serum" else rng.uniform(400, 3000)
    years_to_death = rng.expovariate(ANNUAL_DEATH_RATE * (1.6 if age > 75 else 1.0))
    death = diagnosis + dt.timedelta(days=int(years_to_death * 365.25))
    p = Patient(
        f"P{index:07d}",
        rng,
        tables,
        region,
        site,
        age,
        high_risk,
        diagnosis,
        te,
        measurable,
        m_level,
        death,
        lambda_light="lambda" in isotype,
        level=m_level,
    )
    weight = None if rng.random() < MISSING["weight"] else round(rng.gauss(76, 14), 1)
    tables.add(
        "patients",
        patient_id=p.pid,
        site=site,
        region=region,
        birth_date=birth,
        sex="male" if rng.random() < 0.55 else "female",
        diagnosis_date=diagnosis,
        isotype=isotype,
        iss=None if rng.random() < MISSING["iss"] else rng.choice((1, 2, 2, 3)),
        weight_kg=max(40.0, weight) if weight is not None else None,
        height_cm=round(rng.gauss(171, 9), 0) if weight is not None else None,
        ecog=None if rng.random() < MISSING["ecog"] else ecog,
        charlson_index=None if rng.random() < MISSING["frailty_charlson"] else len(comorbidities),
        katz_adl=None if rng.random() < MISSING["frailty_adl"] else (6 if ecog < 2 else 4),
        lawton_iadl=None if rng.random() < MISSING["frailty_adl"] else (8 if ecog < 2 else 5),
        comorbidities=None if rng.random() < MISSING["comorbidities"] else comorbidities,
        extramedullary="extraosseous" if rng.random() < 0.03 else "none",
        transplant_eligible=None if rng.random() < MISSING["transplant_eligible"] else te,
        donor_available=None,
        contraindications=["anti_cd38"] if rng.random() < 0.02 else [],
        intolerances=None if rng.random() < MISSING["intolerances"] else [],
    )
    if rng.random() >= MISSING["cytogenetics"]:
        tables.add(
            "cytogenetics",
            patient_id=p.pid,
            date=diagnosis + _days(rng, 0, 14),
            method="FISH",
            del_17p_fraction=fraction,
            **cytogenetics,
        )
    _baseline_labs(p, diagnosis)
    start = diagnosis + _days(rng, 7, 35)
    progression = _first_line_te(p, start) if te else _first_line_other(p, start)
    while progression is not None and p.lines < MAX_LINES:
        progression = _relapse_line(p, progression)


# -- labs ---------------------------------------------------------------------------------


BASELINE_FLOOR = {
    "creatinine": 20.0,
    "beta2_microglobulin": 0.5,
    "albumin": 15.0,
    "hemoglobin": 5.0,
    "calcium": 1.5,
}
"""The lowest value drawn per test: the tails of the normal draws stay plausible."""


def _baseline_labs(p: Patient, day: dt.date) -> None:
    rng = p.rng
    for test, value, unit in (
        ("creatinine", rng.gauss(90, 30), "µmol/L"),
        ("beta2_microglobulin", rng.lognormvariate(1.2, 0.5), "mg/L"),
        ("albumin", rng.gauss(37, 5), "g/L"),
        ("hemoglobin", rng.gauss(11.0, 1.6), "g/dL"),
        ("calcium", rng.gauss(2.4, 0.2), "mmol/L"),
    ):
        if rng.random() > 0.1:
            value = max(BASELINE_FLOOR[test], value)  # inside record/plausibility.py's ranges
            p.add("labs", date=day, test=test, value=round(value, 2), unit=unit)
    if rng.random() > 0.2:
        p.add(
            "labs",
            date=day,
            test="ldh",
            value=max(50.0, round(rng.gauss(200, 60), 0)),
            unit="U/L",
            upper_limit=250.0,
        )


def _line_labs(p: Patient, day: dt.date) -> None:
    """Kidney function and blood count checked before a line starts (each 90 % of the time)."""
    rng = p.rng
    for test, value, unit in (
        ("creatinine", rng.gauss(95, 35), "µmol/L"),
        ("hemoglobin", rng.gauss(10.8, 1.5), "g/dL"),
    ):
        if rng.random() > 0.1:
            p.add(
                "labs",
                date=day,
                test=test,
                value=round(max(20.0, value) if test == "creatinine" else max(5.0, value), 1),
                unit=unit,
            )


def _m_series(p: Patient, start: dt.date, until: dt.date, from_level: float, nadir: float) -> None:
    """Disease marker from ``start`` to ``until`` (exclusive): a fall to ``nadir`` over
    about four months, then flat with small noise (never a progression by IMWG)."""
    if p.measurable == "none":
        return
    rng = p.rng
    p.lowest = math.inf
    p.previous = None
    day = start
    while day < until and day <= DATA_CUT:
        weeks = (day - start).days / 7
        level = nadir + (from_level - nadir) * math.exp(-weeks / 5)
        noise = rng.uniform(-0.03, 0.03) if p.measurable == "serum" else rng.uniform(-8, 8)
        _marker(p, day, max(0.0, level + noise))
        day += dt.timedelta(days=28 if weeks < 26 else 56 + rng.randrange(28))


def _marker(p: Patient, day: dt.date, value: float) -> None:
    value = round(value, 1 if p.measurable == "flc" else 2)
    if p.previous is not None:
        p.lowest = min(p.lowest, max(p.previous, value))
    p.previous = value
    if p.measurable == "serum":
        p.add("labs", date=day, test="serum_m_protein", value=round(value, 2), unit="g/dL")
    else:
        involved, uninvolved = ("flc_kappa", "flc_lambda")
        if p.lambda_light:
            involved, uninvolved = uninvolved, involved
        p.add("labs", date=day, test=involved, value=round(value + 12, 1), unit="mg/L")
        p.add("labs", date=day, test=uninvolved, value=12.0, unit="mg/L")


def _progression_labs(p: Patient, day: dt.date, confirm: dt.timedelta) -> None:
    """Two values meeting IMWG progression against the line's lowest value: on ``day`` and
    ``confirm`` later (before the next line starts, so the nadir has not restarted); the
    second is the new level."""
    if p.measurable == "none":
        return
    rng = p.rng
    nadir = p.lowest if p.lowest < math.inf else p.level
    if p.measurable == "serum":
        first = nadir + max(0.25 * nadir, 1.0 if nadir >= 5 else 0.5) + rng.uniform(0.1, 0.4)
        second = first + rng.uniform(0.2, 0.6)
    else:
        first = nadir + max(0.25 * nadir, 100) + rng.uniform(20, 80)
        second = first + rng.uniform(30, 120)
    _marker(p, day, first)
    _marker(p, day + confirm, second)
    p.level = second


# -- lines ---------------------------------------------------------------------------------


def _response(rng: random.Random, line: int, te: bool) -> str:
    deep = max(0.1, 0.7 - 0.12 * (line - 1) + (0.1 if te else 0))
    roll = rng.random()
    if roll < deep * 0.5:
        return "CR"
    if roll < deep:
        return "VGPR"
    if roll < deep + (1 - deep) * 0.6:
        return "PR"
    return rng.choice(("MR", "SD"))


def _pfs(p: Patient, line: int) -> dt.timedelta:
    median = MEDIAN_PFS_MONTHS[min(line, MAX_LINES)]
    if not p.te:
        median *= NON_TE_PFS_FACTOR
    if p.high_risk:
        median *= HIGH_RISK_PFS_FACTOR
    months = p.rng.expovariate(math.log(2) / median)
    return dt.timedelta(days=max(45, int(months * 30.4375)))


def _course(
    p: Patient,
    regimen: str,
    start: dt.date,
    end: dt.date | None,
    setting: str,
    *,
    response: str | None,
    stop: str | None,
    cycles: int | None = None,
) -> None:
    rng = p.rng
    if end is not None and end >= p.death:
        end, stop = max(start, p.death), "other"
    if end is not None and end > DATA_CUT:
        end, stop = None, None
    if stop == "progression" and rng.random() < MISSING["stop_reason"]:
        stop = None
    best = None if rng.random() < MISSING["best_response"] else response
    response_day = None
    if best is not None:
        response_day = start + dt.timedelta(days=min(120, ((end or DATA_CUT) - start).days))
        if response_day > DATA_CUT:
            best, response_day = None, None
    p.add(
        "treatments",
        regimen=regimen,
        start=start,
        end=end,
        setting=setting,
        best_response=best,
        best_response_date=response_day,
        stop_reason=stop,
        cycles=cycles,
    )
    drugs = load_catalogue().drugs_of(regimen) or ()
    p.exposed |= set(drugs)


def _decision(
    p: Patient, day: dt.date, regimen: str | None, on: bool, procedure: str | None = None
) -> None:
    rng = p.rng
    if on and rng.random() < RECORD_ON_PATHWAY:
        p.add("decisions", date=day, regimen=regimen, procedure=procedure, pathway="on")
    elif not on and rng.random() < RECORD_DEVIATION_REASON:
        reason = _weighted(rng, list(zip(DECISION_REASONS, REASON_WEIGHTS, strict=True)))
        p.add(
            "decisions",
            date=day,
            regimen=regimen,
            procedure=procedure,
            pathway="off",
            reason=reason,
            reason_text=None,
        )


def _pick(
    rng: random.Random, offers: Sequence[Offer], on_rate: float, pool: Sequence[str]
) -> tuple[str, bool]:
    """A recommended offer (weighted by tier) with probability ``on_rate``, else a deviation."""
    names = {o.regimen for o in offers}
    if offers and rng.random() < on_rate:
        return _weighted(rng, [(o.regimen, o.weight) for o in offers]), True
    others = [r for r in pool if r not in names] or list(pool)
    return rng.choice(others), False


def _alive(p: Patient, day: dt.date) -> bool:
    return day <= DATA_CUT and day < p.death


def _progress(p: Patient, day: dt.date, nadir: float) -> dt.date | None:
    """Record a progression on ``day`` (event, labs); None when past the cut or death."""
    if not _alive(p, day):
        return None
    rng = p.rng
    clinical = rng.random() < 0.55
    delay = _days(rng, 7, 35) if clinical else _days(rng, 14, 120)
    _progression_labs(p, day, min(dt.timedelta(days=28), delay - dt.timedelta(days=3)))
    if rng.random() >= MISSING["progression_event"]:
        features = (
            [rng.choice(("anemia", "bone_lesions", "hypercalcemia", "renal_failure"))]
            if clinical
            else []
        )
        p.add(
            "progressions",
            date=day,
            type="clinical" if clinical else "biochemical",
            features=features or None,
        )
    return day + delay


def _nadir(p: Patient, response: str) -> float:
    """The marker's plateau for a line started at ``p.level`` with ``response``."""
    return p.level * RESPONSE_RESIDUAL.get(response, 0.9)


def _first_line_te(p: Patient, start: dt.date) -> dt.date | None:
    rng = p.rng
    if not _alive(p, start):
        return None
    p.lines = 1
    plan = first_line_plan(p.high_risk)
    era = "quadruplet_era" if p.diagnosis.year >= QUADRUPLET_ERA else "before"
    regimen, on = _pick(rng, plan.get("induction", ()), ON_PATHWAY[era], TE_DEVIATIONS)
    _decision(p, start, regimen, on)
    _line_labs(p, start - _days(rng, 1, 7))
    induction_end = start + dt.timedelta(days=4 * CYCLE - 1)
    response = _response(rng, 1, True)
    nadir = _nadir(p, response)
    progression_day = start + _pfs(p, 1)
    if progression_day <= induction_end:  # primary refractory: progression on induction
        _continuous(p, regimen, start, progression_day, "induction", response)
        _m_series(p, start, min(progression_day, p.death, DATA_CUT), p.level, nadir)
        return _progress(p, progression_day, nadir)
    _course(
        p, regimen, start, induction_end, "induction", response=response, stop="completed", cycles=4
    )
    collection = induction_end + _days(rng, 14, 35)
    _m_series(p, start, min(progression_day, p.death, DATA_CUT), p.level, nadir)
    if not _alive(p, collection) or progression_day <= collection:
        return _progress(p, progression_day, nadir)
    p.add("procedures", date=collection, type="stem_cell_collection")
    _line_labs(p, collection + _days(rng, 7, 20))  # before conditioning (melphalan dose)
    asct = collection + _days(rng, 21, 45)
    if not _alive(p, asct) or progression_day <= asct:
        return _progress(p, progression_day, nadir)
    after = "CR" if response in {"CR", "sCR"} or rng.random() < 0.35 else "VGPR"
    _asct(p, asct, after)
    last_day = asct
    if p.high_risk and after != "CR" and rng.random() < 0.4:
        tandem = asct + _days(rng, 60, 120)
        if _alive(p, tandem) and tandem < progression_day:
            _asct(p, tandem, rng.choice(("CR", "VGPR")))
            last_day = tandem
    if rng.random() < 0.4 and rng.random() < 0.6:
        p.add(
            "mrd",
            date=last_day + _days(rng, 90, 110),
            result=rng.choice(("negative", "positive")),
            sensitivity=1e-5,
        )
    next_start = last_day + _days(rng, 80, 110)
    if rng.random() < 0.35 and next_start < progression_day and _alive(p, next_start):
        end = next_start + dt.timedelta(days=2 * CYCLE - 1)
        _course(
            p, regimen, next_start, end, "consolidation", response=after, stop="completed", cycles=2
        )
        next_start = end + _days(rng, 14, 35)
    if next_start < progression_day and _alive(p, next_start):
        offers = plan.get("maintenance", ())
        maintenance, on = _pick(
            rng, offers, ON_PATHWAY["maintenance"], ("lenalidomide", "D-R", "bortezomib")
        )
        _decision(p, next_start, maintenance, on)
        _continuous(p, maintenance, next_start, progression_day, "maintenance", after)
    return _progress(p, progression_day, nadir)


def _asct(p: Patient, day: dt.date, response: str) -> None:
    rng = p.rng
    response_day: dt.date | None = day + _days(rng, 90, 110)
    if rng.random() < MISSING["response_date"] or (response_day or day) > DATA_CUT:
        response_day = None
    p.add(
        "procedures",
        date=day,
        type="autologous_sct",
        best_response_after=response,
        response_date=response_day,
    )
    p.asct = True


def _first_line_other(p: Patient, start: dt.date) -> dt.date | None:
    rng = p.rng
    if not _alive(p, start):
        return None
    p.lines = 1
    regimen, continuous = _weighted(rng, [((r, c), w) for r, w, c in NON_TE_FIRST_LINE])
    _line_labs(p, start - _days(rng, 1, 7))
    return _line(p, 1, regimen, start, "induction", continuous)


def _line(
    p: Patient, line: int, regimen: str, start: dt.date, setting: str, continuous: bool
) -> dt.date | None:
    """A line from ``start`` to its progression; returns the next line's start (or None)."""
    rng = p.rng
    response = _response(rng, line, p.te)
    nadir = _nadir(p, response)
    progression_day = start + _pfs(p, line)
    cycles = FIXED_CYCLES.get(regimen)
    fixed_end = start + dt.timedelta(days=cycles * CYCLE - 1) if cycles else None
    if continuous or fixed_end is None or fixed_end >= progression_day:
        _continuous(p, regimen, start, progression_day, setting, response)
    else:
        _course(
            p,
            regimen,
            start,
            fixed_end,
            setting,
            response=response,
            stop="completed",
            cycles=cycles,
        )
        if (progression_day - fixed_end).days <= 60 and _alive(p, progression_day):
            p.refractory |= set(load_catalogue().drugs_of(regimen) or ())
    _m_series(p, start, min(progression_day, p.death, DATA_CUT), p.level, nadir)
    return _progress(p, progression_day, nadir)


def _continuous(
    p: Patient, regimen: str, start: dt.date, progression_day: dt.date, setting: str, response: str
) -> None:
    """A course given until progression (refractory to it), or until death (stopped)."""
    if p.death < progression_day:
        _course(p, regimen, start, p.death, setting, response=response, stop="other")
        return
    _course(p, regimen, start, progression_day, setting, response=response, stop="progression")
    if progression_day <= DATA_CUT:
        p.refractory |= set(load_catalogue().drugs_of(regimen) or ())


def _relapse_line(p: Patient, start: dt.date) -> dt.date | None:
    if not _alive(p, start):
        return None
    rng = p.rng
    p.lines += 1
    refractory = key_drugs(p.refractory)
    situation = Situation(
        pack=relapse_pack(p.region, refractory),
        prior_lines=min(p.lines - 1, MAX_PRIOR_LINES),
        exposed=key_drugs(p.exposed),
        refractory=refractory,
        transplant_eligible=p.te,
        elderly=p.age > ELDERLY_AGE,
    )
    regimen, on = _pick(rng, relapse_offers(situation), ON_PATHWAY["relapse"], RELAPSE_DEVIATIONS)
    _decision(p, start, regimen, on)
    _line_labs(p, start - _days(rng, 1, 7))
    return _line(p, p.lines, regimen, start, "salvage", regimen not in FIXED_CYCLES)
