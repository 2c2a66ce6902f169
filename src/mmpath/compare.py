"""Side-by-side comparison of several guidelines' results for one patient.

Pure: takes the per-guideline results (recommendation-v1 ``results``) and returns a
``ComparisonOut``: one row per option (regimen, procedure, referral, observation,
supportive care) that any guideline offers or excludes, one column per guideline, and short
statements of where the guidelines that apply agree and differ. Regimens are matched
across guidelines by their catalogue id, which stands for one drug set.

Cell text: the tier (``preferred``, ``alternative``, ``consider``) with ``?`` when the
option is conditional (unknown facts would settle it), ``excluded: <reason>``, blank when
the guideline does not mention the option, ``n/a`` when the guideline does not apply.

Each cell says where its position comes from (``basis``): the guideline's own words;
mmpath's general safety rule (an option moved down or excluded because the patient is
refractory to its drugs, a contraindication in the record); a principle the source states
without naming regimens (jp-rrmm); or silence (including an option the source lists without
saying for whom, ``indication_not_stated``: not offered, but not the guideline's position). Statements of agreement and difference are
made only between positions guidelines actually take in their own words: silence, a
principle, a guideline that does not apply, and mmpath's own rules are not disagreements
(they are stated apart, as notes). An option is never under both "agree" and "differ".
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
    OptionOut,
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
    _offered: dict[tuple[str, ...], dict[str, ComparisonCellOut]] = field(default_factory=dict)

    def offered(self, guidelines: Sequence[str]) -> dict[str, ComparisonCellOut]:
        """Offered in the guideline's own words (not a principle, not moved by mmpath).
        Remembered per list of guidelines: asked while sorting, labelling and stating,
        after the cells are complete (shared: do not modify)."""
        key = tuple(guidelines)
        found = self._offered.get(key)
        if found is None:
            found = self._offered[key] = {
                g: c
                for g in guidelines
                if (c := self.cells[g]).state == "option" and c.basis == "guideline"
            }
        return found

    def excluded(self, guidelines: Sequence[str]) -> dict[str, ComparisonCellOut]:
        """Excluded by the guideline's own words (not by mmpath's rules)."""
        return {
            g: c
            for g in guidelines
            if (c := self.cells[g]).state == "excluded" and c.basis == "guideline"
        }

    def by_mmpath(self, guidelines: Sequence[str]) -> list[str]:
        return [g for g in guidelines if self.cells[g].basis == "mmpath_rule"]


def _option_cell(guideline: str, option: OptionOut) -> ComparisonCellOut:
    mark = "?" if option.status == "conditional" else ""
    if option.listed_tier is not None:
        return ComparisonCellOut(
            guideline=guideline,
            state="option",
            basis="mmpath_rule",
            tier=option.tier,
            status=option.status,
            reason=f"listed as {option.listed_tier}; moved down (refractory)",
            text=f"{option.tier}{mark} (listed {option.listed_tier}; refractory)",
        )
    principle = option.basis == "principle"
    return ComparisonCellOut(
        guideline=guideline,
        state="option",
        basis="principle" if principle else "guideline",
        tier=option.tier,
        status=option.status,
        text=option.tier + mark + (" (fits principle)" if principle else ""),
    )


def _collect(results: Sequence[ResultOut]) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    for result in results:
        g = result.guideline.id
        for option in result.options:
            row = rows.setdefault(
                option.id, _Row(option.id, option.kind, option.name, option.drugs, len(rows))
            )
            row.cells[g] = _option_cell(g, option)
        for ex in result.excluded:
            row = rows.setdefault(ex.id, _Row(ex.id, ex.kind, ex.name, ex.drugs, len(rows)))
            row.cells.setdefault(
                g,
                ComparisonCellOut(
                    guideline=g,
                    state="excluded",
                    basis="silent"
                    if ex.indication_not_stated
                    else ("mmpath_rule" if ex.provenance == "mmpath_rule" else "guideline"),
                    reason=ex.reason,
                    text=f"excluded: {ex.reason}",
                ),
            )
    for result in results:
        # one blank (or n/a) cell per guideline, shared by its rows (cells are read-only)
        g = result.guideline.id
        if result.applicable is False:
            not_applicable = ComparisonCellOut(
                guideline=g, state="not_applicable", basis="not_applicable", text="n/a"
            )
            for row in rows.values():
                row.cells[g] = not_applicable
        else:
            silent = ComparisonCellOut(guideline=g, state="not_mentioned", basis="silent", text="")
            for row in rows.values():
                row.cells.setdefault(g, silent)
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
    only: dict[str, list[_Row]] = {}
    only_excluded: dict[str, list[_Row]] = {}
    differ: list[ComparisonStatementOut] = []
    for row in rows:
        offered = row.offered(guidelines)
        excluded = row.excluded(guidelines)
        tiers = {c.tier for c in offered.values()}
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
    moved = [r for r in rows if r.by_mmpath(guidelines)]
    if moved:
        out.append(
            ComparisonStatementOut(
                kind="note",
                text="mmpath's general safety rule, not a guideline's position, moved down or "
                "excluded (refractoriness, contraindication): "
                + ", ".join(f"{r.id} ({join(r.by_mmpath(guidelines))})" for r in moved),
                options=[r.id for r in moved],
                guidelines=sorted(
                    {g for r in moved for g in r.by_mmpath(guidelines)}, key=guidelines.index
                ),
            )
        )
    principled = [g for g in guidelines if any(r.cells[g].basis == "principle" for r in rows)]
    if principled:
        out.append(
            ComparisonStatementOut(
                kind="note",
                text=f"{join(principled)} "
                + ("states" if len(principled) == 1 else "state")
                + " a principle and names no regimen: the regimens shown are catalogue "
                "regimens that fit it, not compared as the guideline's own positions",
                options=[],
                guidelines=principled,
            )
        )
    for g in guidelines:
        unstated = [
            r for r in rows if r.cells[g].state == "excluded" and r.cells[g].basis == "silent"
        ]
        if unstated:
            out.append(
                ComparisonStatementOut(
                    kind="note",
                    text=f"{g} lists "
                    + ", ".join(r.id for r in unstated)
                    + " without saying for whom (indication not stated): not offered, and not "
                    "compared as the guideline's position",
                    options=[r.id for r in unstated],
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
