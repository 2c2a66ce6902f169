"""The comparison table across guidelines, computed from ``RecommendationOut.results``.

Rows are option ids (offered or excluded by any applicable guideline), columns are the
guidelines that apply or may apply (``applicable`` true or unknown); a cell is the
option's tier (and ``conditional`` when it is), ``excluded: <reason>``, or empty when
the guideline does not mention the option for this patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmpath.recommendation import RecommendationOut, ResultOut

TIER_ORDER = {"preferred": 0, "alternative": 1, "consider": 2}


@dataclass(frozen=True, slots=True)
class Cell:
    kind: str  # preferred | alternative | consider | excluded | blank
    text: str = ""
    conditional: bool = False


@dataclass(slots=True)
class Comparison:
    guidelines: list[ResultOut]
    rows: list[tuple[str, str, list[Cell]]] = field(default_factory=list)  # id, name, cells
    not_applicable: list[ResultOut] = field(default_factory=list)


def compare(out: RecommendationOut) -> Comparison:
    columns = [r for r in out.results if r.applicable is not False]
    table = Comparison(columns, not_applicable=[r for r in out.results if r.applicable is False])
    names: dict[str, str] = {}
    best: dict[str, int] = {}
    for result in columns:
        for option in result.options:
            names.setdefault(option.id, option.name)
            best[option.id] = min(best.get(option.id, 9), TIER_ORDER[option.tier])
        for excluded in result.excluded:
            names.setdefault(excluded.id, excluded.name or excluded.id)
            best.setdefault(excluded.id, 10)
    for oid in sorted(names, key=lambda o: (best[o], o.casefold())):
        cells = []
        for result in columns:
            offered = next((o for o in result.options if o.id == oid), None)
            dropped = next((e for e in result.excluded if e.id == oid), None)
            if offered is not None:
                cells.append(Cell(offered.tier, offered.tier, offered.status == "conditional"))
            elif dropped is not None:
                cells.append(Cell("excluded", f"excluded: {dropped.reason}"))
            else:
                cells.append(Cell("blank"))
        table.rows.append((oid, names[oid], cells))
    return table
