"""Which regimens a guideline pack offers in a synthetic patient's situation.

The generator follows the packs' own pathways: at a relapse it asks the region's pack
(:data:`RELAPSE_PACK`) for its options in the patient's *situation* — prior lines, the
key drugs the patient was exposed or refractory to, transplant eligibility, age band —
and picks one of the options the
pack recommends (weighted by tier) or, with the deviation rate, another regimen. First
line for transplant candidates follows dk-ndmm-te's phased plan for the patient's risk
group. The pack is run once per situation on a canonical *prototype* record (one
course per line, standard-risk cytogenetics, normal labs); the answer is cached, so a cohort
of 10,000 costs about 1,200 engine runs. A real patient in the same situation may
differ in facts the prototype fixes (cytogenetics, frailty, timing): the evaluator then
finds the choice conditional or off-pathway, as it would in a registry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from mmpath.assess import Assessment
from mmpath.engine.packs import select
from mmpath.record.model import PatientRecord
from mmpath.service import evaluate_packs

KEY_DRUGS = {
    "bortezomib": "bortezomib",
    "ixazomib": "bortezomib",
    "carfilzomib": "carfilzomib",
    "daratumumab": "daratumumab",
    "isatuximab": "daratumumab",
    "lenalidomide": "lenalidomide",
    "thalidomide": "lenalidomide",
    "pomalidomide": "pomalidomide",
}
"""The drugs whose exposure and refractoriness the relapse packs branch on, each mapped to
the drug that stands for it in a situation (ixazomib with bortezomib, isatuximab with
daratumumab, thalidomide with lenalidomide): fewer situations, fewer engine runs."""
MAX_PRIOR_LINES = 3
"""Situations after three or more lines are alike for every shipped pack (≥ 2 lines)."""
ELDERLY_AGE = 75


def key_drugs(drugs: set[str]) -> frozenset[str]:
    return frozenset(KEY_DRUGS[d] for d in drugs if d in KEY_DRUGS)


RELAPSE_PACK = {"NL": "nl-rrmm", "BE": "be-rrmm", "JP": "jp-rrmm", "ES": "es-len-refractory"}
"""The pack a site's clinicians follow at relapse. Danish sites and Spanish patients who
are not lenalidomide-refractory (no shipped pack covers them) follow nl-rrmm."""
FALLBACK_RELAPSE_PACK = "nl-rrmm"
FIRST_LINE_PACK = "dk-ndmm-te"
TIER_WEIGHT = {"preferred": 4, "alternative": 2, "consider": 1}


@dataclass(frozen=True, slots=True)
class Situation:
    """What the relapse packs branch on, reduced to a cache key."""

    pack: str
    prior_lines: int
    exposed: frozenset[str]
    refractory: frozenset[str]
    transplant_eligible: bool
    """Also: a transplant after line 1 (the packs' second-ASCT and re-induction branches)."""
    elderly: bool


@dataclass(frozen=True, slots=True)
class Offer:
    regimen: str
    drugs: frozenset[str]
    weight: int


def relapse_pack(region: str, refractory: frozenset[str]) -> str:
    pack = RELAPSE_PACK.get(region, FALLBACK_RELAPSE_PACK)
    if pack == "es-len-refractory" and "lenalidomide" not in refractory:
        return FALLBACK_RELAPSE_PACK
    return pack


@cache
def relapse_offers(situation: Situation) -> tuple[Offer, ...]:
    """The regimens ``situation.pack`` recommends in this situation (not conditional)."""
    result = evaluate_packs(Assessment(_prototype(situation)), select(situation.pack))[0]
    return tuple(
        Offer(o.id, frozenset(o.drugs or ()), TIER_WEIGHT[o.tier])
        for o in result.options
        if o.kind == "regimen" and o.status == "recommended" and o.drugs
    )


@cache
def first_line_plan(high_risk: bool) -> dict[str, tuple[Offer, ...]]:
    """dk-ndmm-te's regimen options per phase for a new transplant candidate."""
    record = PatientRecord.model_validate(
        {
            "schema_version": "1",
            "as_of": "2024-01-15",
            "age": 60,
            "ecog": 0,
            "comorbidities": [],
            "contraindications": [],
            "intolerances": [],
            "region": "DK",
            "diagnosis": {"date": "2024-01-02"},
            "treatments": [],
            "procedures": [],
            "progressions": [],
            "mrd": [],
            "cytogenetics": _cytogenetics(high_risk),
            "labs": _normal_labs(dt.date(2024, 1, 2)),
        }
    )
    result = evaluate_packs(Assessment(record), select(FIRST_LINE_PACK))[0]
    plan: dict[str, list[Offer]] = {}
    for o in result.options:
        if o.kind == "regimen" and o.drugs and o.phase and o.status == "recommended":
            plan.setdefault(o.phase, []).append(
                Offer(o.id, frozenset(o.drugs), TIER_WEIGHT[o.tier])
            )
    return {phase: tuple(offers) for phase, offers in plan.items()}


def _cytogenetics(high_risk: bool) -> dict[str, object]:
    return {
        "method": "FISH",
        "del_17p": high_risk,
        "del_17p_fraction": 0.5 if high_risk else 0.0,
        "t_4_14": False,
        "t_14_16": False,
        "t_14_20": False,
        "gain_1q": False,
        "amp_1q": False,
        "del_1p": False,
        "tp53_mutation": False,
    }


def _normal_labs(day: dt.date) -> list[dict[str, object]]:
    return [
        {"date": day, "test": "creatinine", "value": 80.0, "unit": "µmol/L"},
        {"date": day, "test": "beta2_microglobulin", "value": 2.5, "unit": "mg/L"},
        {"date": day, "test": "albumin", "value": 40.0, "unit": "g/L"},
        {"date": day, "test": "ldh", "value": 180.0, "unit": "U/L", "upper_limit": 250.0},
    ]


def _prototype(s: Situation) -> PatientRecord:
    """A canonical record in situation ``s``: line 1 holds the drugs the patient was exposed
    to but not refractory to (finished, relapse months after its end); the last prior line
    holds the refractory drugs (progression on them); lines between are dexamethasone."""
    decision = dt.date(2024, 6, 1)
    relapse = decision - dt.timedelta(days=14)
    start = decision - dt.timedelta(days=365 * (2 + 2 * s.prior_lines))
    sensitive = sorted(s.exposed - s.refractory)
    refractory = sorted(s.refractory)
    treatments: list[dict[str, object]] = []
    progressions: list[dict[str, object]] = []
    procedures: list[dict[str, object]] = []
    for line in range(1, s.prior_lines + 1):
        last = line == s.prior_lines
        drugs = (sensitive if line == 1 else []) + (refractory if last else [])
        begin = start + dt.timedelta(days=730 * (line - 1))
        end = relapse if last and refractory else begin + dt.timedelta(days=180)
        treatments.append(
            {
                "drugs": [*drugs, "dexamethasone"],
                "start": begin,
                "end": end,
                "setting": "induction" if line == 1 else "salvage",
                "best_response": "VGPR",
                "stop_reason": "progression" if end == relapse else "completed",
            }
        )
        if line == 1 and s.transplant_eligible:
            procedures.append(
                {
                    "type": "autologous_sct",
                    "date": begin + dt.timedelta(days=200),
                    "best_response_after": "VGPR",
                }
            )
        when = relapse if last else begin + dt.timedelta(days=700)
        progressions.append(
            {
                "date": when,
                "type": "clinical",
                "features": ["anemia"],
            }
        )
    return PatientRecord.model_validate(
        {
            "schema_version": "1",
            "as_of": decision,
            "age": ELDERLY_AGE + 5 if s.elderly else 65,
            "ecog": 1,
            "weight_kg": 75.0,
            "height_cm": 172.0,
            "sex": "male",
            "comorbidities": [],
            "contraindications": [],
            "intolerances": [],
            "frailty": {"charlson_index": 0, "katz_adl": 6, "lawton_iadl": 8},
            "transplant_eligible": s.transplant_eligible,
            "extramedullary": "none",
            "diagnosis": {"date": start - dt.timedelta(days=20), "isotype": "IgG kappa", "iss": 1},
            "cytogenetics": _cytogenetics(False),
            "labs": _normal_labs(relapse),
            "treatments": treatments,
            "procedures": procedures,
            "progressions": progressions,
            "stem_cells": {"sufficient_for_asct": False},
        }
    )
