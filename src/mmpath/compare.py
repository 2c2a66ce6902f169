"""Side-by-side comparison of several guidelines' results for one patient.

Pure: takes the per-guideline results (recommendation-v1 ``results``) and returns a
``ComparisonOut``: one row per option (regimen, procedure, referral, observation,
supportive care) that any guideline offers or excludes, one column per guideline, and short
statements of where the guidelines that apply agree and differ. Regimens are matched
across guidelines by their catalogue id, which stands for one drug set.

Cell text: the tier (``preferred``, ``alternative``, ``consider``) with ``?`` when the
option is conditional (unknown facts would settle it), ``excluded: <reason>``, blank when
the guideline does not mention the option, ``n/a`` when the guideline does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mmpath.recommendation import (
    ComparisonCellOut,
    ComparisonColumnOut,
    ComparisonOut,
    ComparisonRowOut,
    ComparisonStatementOut,
    ResultOut,
)

TIERS = ("preferred", "alternative", "consider")
VERB = {"preferred": "preferred", "alternative": "an alternative", "consider": "considered"}
KIND_ORDER = ("regimen", "procedure", "referral", "observation", "supportive")


def join(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class _Row:
    id: str
    kind: str
    name: str | None
    drugs: list[str] | None
    first_seen: int
    cells: dict[str, ComparisonCellOut] = field(default_factory=dict)

    def offered(self, guidelines: Sequence[str]) -> dict[str, ComparisonCellOut]:
        return {g: self.cells[g] for g in guidelines if self.cells[g].state == "option"}

    def excluded(self, guidelines: Sequence[str]) -> dict[str, ComparisonCellOut]:
        return {g: self.cells[g] for g in guidelines if self.cells[g].state == "excluded"}


def _collect(results: Sequence[ResultOut]) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    for result in results:
        g = result.guideline.id
        for option in result.options:
            row = rows.setdefault(
                option.id, _Row(option.id, option.kind, option.name, option.drugs, len(rows))
            )
            conditional = option.status == "conditional"
            row.cells[g] = ComparisonCellOut(
                guideline=g,
                state="option",
                tier=option.tier,
                status=option.status,
                text=option.tier + ("?" if conditional else ""),
            )
        for ex in result.excluded:
            row = rows.setdefault(ex.id, _Row(ex.id, ex.kind, ex.name, ex.drugs, len(rows)))
            row.cells.setdefault(
                g,
                ComparisonCellOut(
                    guideline=g, state="excluded", reason=ex.reason, text=f"excluded: {ex.reason}"
                ),
            )
    for result in results:
        g = result.guideline.id
        for row in rows.values():
            if result.applicable is False:
                row.cells[g] = ComparisonCellOut(guideline=g, state="not_applicable", text="n/a")
            else:
                row.cells.setdefault(
                    g, ComparisonCellOut(guideline=g, state="not_mentioned", text="")
                )
    return rows


def _sort_key(row: _Row, guidelines: Sequence[str]) -> tuple[int, int, int, int]:
    offered = row.offered(guidelines)
    best = min((TIERS.index(c.tier) for c in offered.values() if c.tier), default=len(TIERS))
    kind = KIND_ORDER.index(row.kind) if row.kind in KIND_ORDER else len(KIND_ORDER)
    return best, -len(offered), kind, row.first_seen


def _label(row: _Row, guidelines: Sequence[str]) -> str:
    conditional = any(c.status == "conditional" for c in row.offered(guidelines).values())
    return row.id + ("?" if conditional else "")


def _statements(rows: list[_Row], guidelines: list[str]) -> list[ComparisonStatementOut]:
    """Agreements first (same tier; offered by all), then conflicts, then single voices."""
    agree: dict[tuple[str, tuple[str, ...]], list[_Row]] = {}
    everywhere: list[_Row] = []
    only: dict[str, list[_Row]] = {}
    only_excluded: dict[str, list[_Row]] = {}
    differ: list[ComparisonStatementOut] = []
    for row in rows:
        offered = row.offered(guidelines)
        excluded = row.excluded(guidelines)
        tiers = {c.tier for c in offered.values()}
        if len(offered) == len(guidelines) and len(tiers) > 1:
            everywhere.append(row)
        if len(offered) >= 2 and len(tiers) == 1 and not excluded:
            (tier,) = tiers
            assert tier is not None
            agree.setdefault((tier, tuple(offered)), []).append(row)
        elif len(offered) == 1 and not excluded:
            only.setdefault(next(iter(offered)), []).append(row)
        elif not offered:
            for g in excluded:
                only_excluded.setdefault(g, []).append(row)
        else:
            parts = []
            for rank in TIERS:
                by = [g for g, c in offered.items() if c.tier == rank]
                if by:
                    parts.append(f"{VERB[rank]} by {join(by)}")
            excluded_parts = [f"excluded by {g} ({c.reason})" for g, c in excluded.items()]
            differ.append(
                ComparisonStatementOut(
                    kind="differ",
                    text=f"{_label(row, guidelines)}: {', '.join(excluded_parts + parts)}",
                    options=[row.id],
                    guidelines=sorted({*offered, *excluded}, key=guidelines.index),
                )
            )
    out = [
        ComparisonStatementOut(
            kind="agree",
            text=f"{VERB[tier]} by {join(list(by))}: "
            + ", ".join(_label(r, guidelines) for r in members),
            options=[r.id for r in members],
            guidelines=list(by),
        )
        for (tier, by), members in agree.items()
    ]
    if everywhere:
        out.append(
            ComparisonStatementOut(
                kind="agree",
                text=f"offered by all {len(guidelines)} applicable guidelines, at different tiers: "
                + ", ".join(_label(r, guidelines) for r in everywhere),
                options=[r.id for r in everywhere],
                guidelines=list(guidelines),
            )
        )
    # conflicts (an exclusion against an offer) before mere differences of tier
    out += sorted(differ, key=lambda s: "excluded by" not in s.text)
    for g in guidelines:
        members = only.get(g, [])
        if members:
            out.append(
                ComparisonStatementOut(
                    kind="only",
                    text=f"only {g}: " + ", ".join(_label(r, guidelines) for r in members),
                    options=[r.id for r in members],
                    guidelines=[g],
                )
            )
        members = only_excluded.get(g, [])
        if members:
            out.append(
                ComparisonStatementOut(
                    kind="only",
                    text=f"only {g} names and excludes: "
                    + ", ".join(f"{r.id} ({r.cells[g].reason})" for r in members),
                    options=[r.id for r in members],
                    guidelines=[g],
                )
            )
    return out


def compare(results: Sequence[ResultOut]) -> ComparisonOut:
    """The comparison of ``results`` (one per guideline, in the given order)."""
    columns = [
        ComparisonColumnOut(guideline=r.guideline.id, applicable=r.applicable) for r in results
    ]
    applying = [c.guideline for c in columns if c.applicable is not False]
    rows = sorted(_collect(results).values(), key=lambda r: _sort_key(r, applying))
    if len(applying) >= 2:
        statements = _statements(rows, applying)
    else:
        which = f"only {applying[0]} applies" if applying else "no guideline applies"
        statements = [
            ComparisonStatementOut(
                kind="note",
                text=f"{which} to this patient: nothing to compare",
                options=[],
                guidelines=applying,
            )
        ]
    unsure = [c.guideline for c in columns if c.applicable is None]
    if unsure:
        statements.append(
            ComparisonStatementOut(
                kind="note",
                text=f"whether {join(unsure)} "
                + ("applies is unknown: its" if len(unsure) == 1 else "apply is unknown: their")
                + " options are conditional",
                options=[],
                guidelines=unsure,
            )
        )
    order = [c.guideline for c in columns]
    return ComparisonOut(
        columns=columns,
        rows=[
            ComparisonRowOut(
                id=r.id,
                kind=r.kind,
                name=r.name,
                drugs=r.drugs,
                cells=[r.cells[g] for g in order],
            )
            for r in rows
        ],
        statements=statements,
    )
