"""The compiled plan: compiled facts, then every pack's applicability, per decision.

What SQL settles here, for each (decision, guideline) pair, is the case the per-patient
engine answers without looking at a single rule: the guideline's applicability condition
is FALSE (engine/evaluate.py ``PackEvaluator.run``: no option, no exclusion, no missing
fact; cohort/classify.py: ``not_covered``, "guideline not applicable: <text>"). Every other
pair (applicability TRUE or not settled by the compiled facts) is *routed* to the
per-patient engine (backend.py). A pair is never answered from an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmpath.cohort.compiled.facts import FACT_TYPES, facts_sql
from mmpath.cohort.compiled.sql import compile_condition
from mmpath.engine.conditions import fact_names
from mmpath.engine.pack import Pack


@dataclass(frozen=True)
class Plan:
    sql: str
    """The query: ``k`` and ``a_<i>`` (the applicability of pack i: TRUE, FALSE, NULL)."""
    packs: tuple[str, ...]
    compiled: tuple[bool, ...]
    """Whether pack i's applicability condition reads compiled facts only (else the facts
    it reads that are not compiled are NULL: it is settled only where they cannot matter)."""


def applicability_column(index: int) -> str:
    return f"a_{index}"


def build_plan(packs: list[Pack], *, treatments_recorded: bool) -> Plan:
    columns: list[str] = []
    compiled: list[bool] = []
    for i, pack in enumerate(packs):
        condition = pack.applicability.condition
        expression = compile_condition(condition, FACT_TYPES, partial=True)
        compiled.append(all(f in FACT_TYPES for f in fact_names(condition)))
        columns.append(f"{expression} AS {applicability_column(i)}")
    sql = (
        f"WITH facts AS ({facts_sql(treatments_recorded=treatments_recorded)})\n"
        f"SELECT k, {', '.join(columns)} FROM facts ORDER BY k"
    )
    return Plan(sql, tuple(p.id for p in packs), tuple(compiled))
