"""`mmpath pack graph ID`: a pack's decision structure as a picture, and a patient's path
through it.

The picture is the pathway diagram clinicians know from printed algorithms: who the
guideline is for (applicability), then each rule with its condition written out as a
checklist, and the options it leads to with their tiers. Given a patient, every line of
every condition is marked true (✓), false (✗) or unknown (?), and every option shows
what became of it for this patient: recommended, conditional, excluded (and by what) or
not reached. Constraints, which exclude options, follow the rules.

Two renderings of one model (:class:`Graph`): SVG (laid out here: a column of rows, no
graph-layout engine needed for this tree) and Mermaid flowchart text for documents.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field
from typing import Literal

from mmpath.catalogue import Catalogue, load_catalogue
from mmpath.engine.conditions import (
    All,
    AnyOf,
    Compare,
    Condition,
    Const,
    Facts,
    IsTrue,
    Not,
    describe,
    evaluate,
)
from mmpath.engine.pack import Pack
from mmpath.engine.vocabulary import NAMES
from mmpath.recommendation import ResultOut

Value = bool | None
OptionState = Literal["recommended", "conditional", "excluded", "not reached"]


@dataclass(frozen=True)
class Line:
    """One line of a condition written as a checklist; ``value`` is the patient's (True,
    False, None for unknown) or absent when no patient is traced."""

    depth: int
    text: str
    value: Value = None
    traced: bool = False


@dataclass(frozen=True)
class OptionCell:
    key: str
    name: str
    tier: str
    state: OptionState | None = None
    note: str = ""


@dataclass(frozen=True)
class Row:
    """A rule (or a constraint) with its condition and what it leads to."""

    id: str
    title: str
    kind: Literal["rule", "constraint"]
    lines: list[Line]
    value: Value = None
    traced: bool = False
    options: list[OptionCell] = field(default_factory=list)
    effect: str = ""


@dataclass(frozen=True)
class Graph:
    pack_id: str
    title: str
    version: str
    applicability: list[Line]
    applies: Value
    rows: list[Row]
    traced: bool
    patient: str | None = None


def _leaf_text(condition: Condition) -> str:
    if isinstance(condition, Const):
        return "always" if condition.value else "never"
    return describe(condition)


def outline(condition: Condition, facts: Facts | None, depth: int = 0) -> list[Line]:
    """The condition as checklist lines, each with its value for ``facts``."""

    def line(text: str, node: Condition) -> Line:
        if facts is None:
            return Line(depth, text)
        return Line(depth, text, evaluate(node, facts)[0], True)

    if isinstance(condition, All | AnyOf):
        head = "all of:" if isinstance(condition, All) else "any of:"
        return [
            line(head, condition),
            *(sub for item in condition.items for sub in outline(item, facts, depth + 1)),
        ]
    if isinstance(condition, Not) and isinstance(condition.item, All | AnyOf | Not):
        return [line("not:", condition), *outline(condition.item, facts, depth + 1)]
    if isinstance(condition, Not | IsTrue | Compare | Const):
        return [line(_leaf_text(condition), condition)]
    raise TypeError(f"not a condition: {condition!r}")


def _name(kind: str, code: str, catalogue: Catalogue) -> tuple[str, str]:
    if kind == "regimen":
        regimen = catalogue.regimen(code)
        if regimen is not None:
            return regimen.id, regimen.id
    return code, NAMES.get(kind, {}).get(code, code.replace("_", " "))


def build(
    pack: Pack,
    facts: Facts | None = None,
    result: ResultOut | None = None,
    *,
    patient: str | None = None,
) -> Graph:
    """The graph of ``pack``; with ``facts`` and ``result`` (the pack evaluated for one
    patient), the patient's path through it."""
    catalogue = load_catalogue()
    traced = facts is not None
    applies = evaluate(pack.applicability.condition, facts)[0] if facts is not None else None
    offered = {
        (f"{o.id}@{o.phase}" if o.phase else o.id): o for o in (result.options if result else [])
    }
    excluded = {e.id: e for e in (result.excluded if result else [])}
    rows = []
    for rule in pack.rules:
        value = evaluate(rule.condition, facts)[0] if facts is not None else None
        reached = traced and value is not False and applies is not False
        cells = []
        for spec in rule.options:
            oid, name = _name(spec.kind, spec.code, catalogue)
            key = f"{oid}@{spec.phase}" if spec.phase else oid
            label = f"{name} ({spec.phase})" if spec.phase else name
            state: OptionState | None = None
            note = ""
            if traced:
                state = "not reached"
                found = offered.get(key)
                if reached and found is not None and rule.id in found.rules:
                    state = found.status
                    note = ", ".join(found.requires) and f"if {', '.join(found.requires)}"
                elif reached and oid in excluded:
                    state, note = "excluded", excluded[oid].reason
            cells.append(OptionCell(key, label, spec.tier, state, note))
        rows.append(
            Row(
                rule.id,
                rule.title,
                "rule",
                outline(rule.condition, facts),
                value if applies is not False else False,
                traced,
                cells,
            )
        )
    for constraint in pack.constraints:
        target = constraint.applies_to
        parts = [*target.options, *target.drugs, *target.classes]
        if target.max_drugs:
            parts.append(f"regimens of ≤ {target.max_drugs} drugs")
        if target.rules:
            parts.append(f"options of rules {', '.join(target.rules)}")
        effect = f"excludes {', '.join(parts) or 'any option'}: {constraint.reason}"
        lines = outline(constraint.condition, facts)
        holds: Value = evaluate(constraint.condition, facts)[0] if facts is not None else None
        rows.append(
            Row(constraint.id, constraint.id, "constraint", lines, holds, traced, effect=effect)
        )
    return Graph(
        pack.id,
        pack.title,
        pack.version,
        outline(pack.applicability.condition, facts),
        applies,
        rows,
        traced,
        patient,
    )


# -- SVG ----------------------------------------------------------------------------------

FONT = 12
LINE = 17
CHAR = 6.6  # average advance of the 12 px sans-serif font, for wrapping and box widths
PAD = 8
RULE_W = 230
COND_W = 330
OPT_W = 300
GAP = 36
WIDTH = PAD + RULE_W + GAP + COND_W + GAP + OPT_W + PAD
MARK = {True: "✓", False: "✗", None: "?"}
VALUE_CLASS = {True: "yes", False: "no", None: "unknown"}
TIER_CLASS = {"preferred": "preferred", "alternative": "alternative", "consider": "consider"}

STYLE = """
.g text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;font-size:12px;fill:#1d2327}
.g .title{font-size:15px;font-weight:600}
.g .muted{fill:#5f6b76}
.g .box{fill:#fff;stroke:#8a949e;stroke-width:1}
.g .rule-box{fill:#f4f6f8}
.g .constraint-box{fill:#fbf3f2}
.g .yes .box,.g .box.yes{stroke:#1b7f3b;stroke-width:2.5}
.g .no .box,.g .box.no{stroke:#c3c8cd;stroke-dasharray:4 3}
.g .unknown .box,.g .box.unknown{stroke:#b26a00;stroke-width:2.5;stroke-dasharray:7 3}
.g text.yes{fill:#1b7f3b}
.g text.no{fill:#6b7075}
.g text.unknown{fill:#9a5b00}
.g .edge{stroke:#8a949e;stroke-width:1.2;fill:none}
.g .edge.yes{stroke:#1b7f3b;stroke-width:2.5}
.g .edge.unknown{stroke:#b26a00;stroke-width:2;stroke-dasharray:6 3}
.g .edge.no{stroke:#d5d9dd}
.g .preferred{fill:#e7f2ea}
.g .alternative{fill:#eef2fb}
.g .consider{fill:#f6f2e8}
.g .state-recommended{stroke:#1b7f3b;stroke-width:2.5}
.g .state-conditional{stroke:#b26a00;stroke-width:2.5;stroke-dasharray:7 3}
.g .state-excluded{stroke:#b3261e;stroke-width:2}
.g .state-not-reached{opacity:.45}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _wrap(text: str, width_px: float) -> list[str]:
    return textwrap.wrap(text, max(8, int(width_px / CHAR))) or [""]


def _value_class(traced: bool, value: Value) -> str:
    return VALUE_CLASS[value] if traced else ""


def _checklist(lines: list[Line], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Condition lines as SVG text; returns the elements and the height used."""
    out = []
    for line in lines:
        indent = 14 * line.depth
        mark = f"{MARK[line.value]} " if line.traced else ""
        cls = f' class="{VALUE_CLASS[line.value]}"' if line.traced else ""
        for i, part in enumerate(_wrap(mark + line.text, width - indent - 2 * PAD)):
            y += LINE
            dx = indent if i == 0 else indent + 12
            out.append(f'<text x="{x + PAD + dx:.0f}" y="{y:.0f}"{cls}>{_e(part)}</text>')
    return out, (y + PAD)


def to_svg(graph: Graph) -> str:
    """The graph as a self-contained SVG document (deterministic)."""
    body: list[str] = []
    y: float = PAD + 18
    body.append(
        f'<text class="title" x="{PAD}" y="{y}">{_e(graph.pack_id)} {_e(graph.version)}</text>'
    )
    for part in _wrap(graph.title, WIDTH - 2 * PAD):
        y += LINE
        body.append(f'<text class="muted" x="{PAD}" y="{y}">{_e(part)}</text>')
    if graph.patient:
        y += LINE
        body.append(
            f'<text x="{PAD}" y="{y}">Path of {_e(graph.patient)}: ✓ true, ✗ false, ? unknown</text>'
        )
    y += PAD * 2
    # applicability
    top = y
    app_w = RULE_W + GAP + COND_W
    head = [f'<text x="{PAD + PAD}" y="{y + LINE}" class="title">Applies to</text>']
    lines, bottom = _checklist(graph.applicability, PAD, y + LINE, app_w)
    cls = _value_class(graph.traced, graph.applies)
    body.append(
        f'<g class="{cls}"><rect class="box rule-box" x="{PAD}" y="{top}" width="{app_w}" '
        f'height="{bottom - top:.0f}" rx="6"/>{"".join(head + lines)}</g>'
    )
    spine_x = PAD + 18
    spine_top = bottom
    y = bottom + GAP / 2
    for row in graph.rows:
        y = _row(body, row, y, spine_x)
    body.insert(
        0,
        f'<path class="edge" d="M{spine_x} {spine_top:.0f} V{max(spine_top, y - GAP / 2):.0f}"/>',
    )
    height = y + PAD
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="g" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{_e(graph.pack_id)}: decision structure">'
        f"<style>{STYLE}</style>{''.join(body)}</svg>\n"
    )


def _row(body: list[str], row: Row, y: float, spine_x: float) -> float:
    rule_x = PAD + 30
    cond_x = PAD + RULE_W + GAP
    opt_x = cond_x + COND_W + GAP
    kind = "constraint" if row.kind == "constraint" else "rule"
    title = _wrap(
        f"{'Constraint' if row.kind == 'constraint' else 'Rule'}: {row.id}", RULE_W - 30 - 2 * PAD
    )
    title_lines = _wrap(row.title, RULE_W - 30 - 2 * PAD) if row.title != row.id else []
    rule_h = LINE * (len(title) + len(title_lines)) + PAD * 1.5
    cond, cond_bottom = _checklist(row.lines, cond_x, y, COND_W)
    cond_h = max(cond_bottom - y, rule_h)
    cells = row.options
    opt_h = (
        sum(_option_height(c) for c in cells) + PAD * (len(cells) - 1)
        if cells
        else LINE * len(_wrap(row.effect, OPT_W - 2 * PAD)) + PAD * 1.5
    )
    height = max(rule_h, cond_h, opt_h)
    cls = _value_class(row.traced, row.value)
    mid = y + min(rule_h, height) / 2
    name = f"{'Constraint' if row.kind == 'constraint' else 'Rule'} {row.id}"
    tooltip = name if row.title == row.id else f"{name}: {row.title}"
    body.append(f'<g class="{cls}"><title>{_e(tooltip)}</title>')
    body.append(f'<path class="edge {cls}" d="M{spine_x} {mid:.0f} H{rule_x}"/>')
    body.append(
        f'<rect class="box {kind}-box" x="{rule_x}" y="{y:.0f}" width="{RULE_W - 30}" '
        f'height="{rule_h:.0f}" rx="6"/>'
    )
    ty = y
    for i, text in enumerate([*title, *title_lines]):
        ty += LINE
        weight = ' font-weight="600"' if i < len(title) else ""
        body.append(f'<text x="{rule_x + PAD}" y="{ty:.0f}"{weight}>{_e(text)}</text>')
    body.append(f'<path class="edge {cls}" d="M{rule_x + RULE_W - 30} {mid:.0f} H{cond_x}"/>')
    body.append(
        f'<rect class="box" x="{cond_x}" y="{y:.0f}" width="{COND_W}" height="{cond_h:.0f}" rx="6"/>'
    )
    body += cond
    body.append("</g>")
    oy = y
    if not cells:
        body.append(f'<path class="edge {cls}" d="M{cond_x + COND_W} {y + LINE:.0f} H{opt_x}"/>')
        body.append(
            f'<rect class="box constraint-box" x="{opt_x}" y="{oy:.0f}" width="{OPT_W}" '
            f'height="{opt_h:.0f}" rx="6"/>'
        )
        for part in _wrap(row.effect, OPT_W - 2 * PAD):
            oy += LINE
            body.append(f'<text x="{opt_x + PAD}" y="{oy:.0f}">{_e(part)}</text>')
    for cell in cells:
        h = _option_height(cell)
        state = f" state-{cell.state.replace(' ', '-')}" if cell.state else ""
        edge = cls if cell.state != "not reached" else "no"
        body.append(
            f'<path class="edge {edge}" d="M{cond_x + COND_W} {mid:.0f} '
            f"C{cond_x + COND_W + GAP / 2} {mid:.0f} {opt_x - GAP / 2} {oy + h / 2:.0f} "
            f'{opt_x} {oy + h / 2:.0f}"/>'
        )
        body.append(
            f'<rect class="box {TIER_CLASS[cell.tier]}{state}" x="{opt_x}" y="{oy:.0f}" '
            f'width="{OPT_W}" height="{h:.0f}" rx="6"/>'
        )
        ly = oy
        head = _cell_head(cell)
        for i, part in enumerate(head):
            ly += LINE
            tier = f" · {_e(cell.tier)}" if i == len(head) - 1 else ""
            body.append(
                f'<text x="{opt_x + PAD}" y="{ly:.0f}"><tspan font-weight="600">{_e(part)}'
                f"</tspan>{tier}</text>"
            )
        for part in _cell_lines(cell):
            ly += LINE
            body.append(f'<text class="muted" x="{opt_x + PAD}" y="{ly:.0f}">{_e(part)}</text>')
        oy += h + PAD
    return y + height + GAP / 2


def _cell_lines(cell: OptionCell) -> list[str]:
    if cell.state is None:
        return []
    text = cell.state + (f": {cell.note}" if cell.note else "")
    lines = _wrap(text, OPT_W - 2 * PAD)
    return lines if len(lines) <= 3 else [*lines[:2], lines[2] + " …"]


def _cell_head(cell: OptionCell) -> list[str]:
    """The option's name in lines; the tier follows the last one."""
    return _wrap(cell.name, OPT_W - 2 * PAD - CHAR * (len(cell.tier) + 3))


def _option_height(cell: OptionCell) -> float:
    return LINE * (len(_cell_head(cell)) + len(_cell_lines(cell))) + PAD


# -- Mermaid --------------------------------------------------------------------------------


def _m(text: str) -> str:
    """Text inside a Mermaid "quoted" label."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _condition_label(lines: list[Line]) -> str:
    shown = []
    for line in lines:
        mark = f"{MARK[line.value]} " if line.traced else ""
        shown.append("#160;" * 3 * line.depth + _m(mark + line.text))
    return "<br/>".join(shown)


def to_mermaid(graph: Graph) -> str:
    """The graph as Mermaid flowchart text (``flowchart LR``), deterministic."""
    out = ["flowchart LR"]
    classes: list[str] = []

    def mark(node: str, traced: bool, value: Value) -> None:
        if traced:
            classes.append(f"  class {node} {VALUE_CLASS[value]}")

    out.append(f'  A{{"{_condition_label(graph.applicability)}"}}')
    mark("A", graph.traced, graph.applies)
    for i, row in enumerate(graph.rows, start=1):
        r, c = f"R{i}", f"C{i}"
        label = _m(f"{'Rule' if row.kind == 'rule' else 'Constraint'} {row.id}")
        if row.title != row.id:
            label += f"<br/>{_m(row.title)}"
        edge = "A -->|applies| " if row.kind == "rule" else ""
        out.append(f'  {edge}{r}["{label}"]')
        out.append(f'  {r} --> {c}{{"{_condition_label(row.lines)}"}}')
        mark(r, row.traced, row.value)
        mark(c, row.traced, row.value)
        if not row.options:
            out.append(f'  {c} -->|true| {r}X["{_m(row.effect)}"]')
        for j, cell in enumerate(row.options, start=1):
            o = f"{r}O{j}"
            text = _m(f"{cell.name} · {cell.tier}") + (f"<br/>{cell.state}" if cell.state else "")
            out.append(f'  {c} -->|true| {o}["{text}"]')
            classes.append(f"  class {o} {cell.tier}")
            if cell.state:
                classes.append(f"  class {o} {cell.state.replace(' ', '_')}")
    out += [
        "  classDef yes stroke:#1b7f3b,stroke-width:3px",
        "  classDef no stroke:#c3c8cd,stroke-dasharray:4 3,color:#6b7075",
        "  classDef unknown stroke:#b26a00,stroke-width:3px,stroke-dasharray:7 3",
        "  classDef preferred fill:#e7f2ea",
        "  classDef alternative fill:#eef2fb",
        "  classDef consider fill:#f6f2e8",
        "  classDef recommended stroke:#1b7f3b,stroke-width:3px",
        "  classDef conditional stroke:#b26a00,stroke-width:3px,stroke-dasharray:7 3",
        "  classDef excluded stroke:#b3261e,stroke-width:2px",
        "  classDef not_reached opacity:0.45",
        *classes,
    ]
    return "\n".join(out) + "\n"
