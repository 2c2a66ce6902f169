"""Human-readable rendering of a recommendation for the terminal (Rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mmpath.assess.timeline import Line
from mmpath.present.grouping import (
    SEVERITY_LABELS,
    TIER_TITLES,
    condition_text,
    group,
    moved_note,
    origin,
    tier_if_note,
)
from mmpath.present.pathway import render_pathway
from mmpath.recommendation import CautionOut, OptionOut, RecommendationOut, ResultOut

STATUS_STYLE = {"recommended": "bold green", "conditional": "yellow"}
SEVERITY_STYLE = {
    "contraindicating": "bold red",
    "dose": "bold blue",
    "monitoring": "red",
    "information": "default",
}


def _value(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _option_block(option: OptionOut, original: bool) -> Group:
    head = Text()
    head.append(f"{option.id}", style="bold")
    if option.kind == "regimen" and option.drugs:
        head.append(f"  {option.name}")
    elif option.kind != "regimen":
        head.append(f"  [{option.kind}] {option.name}")
    head.append(f"  {option.tier}, {option.status}", style=STATUS_STYLE[option.status])
    if option.phase:
        head.append(f"  phase: {option.phase}", style="cyan")
    if option.grade:
        head.append(f"  grade {option.grade}", style="magenta")
    lines: list[Text] = [head]
    # the first, prominent caution: what argues against the option for this patient
    lines += [_caution(c) for c in option.cautions if c.severity == "contraindicating"]
    if (moved := moved_note(option)) is not None:
        lines.append(Text(f"   {moved}", style="red"))
    if (better := tier_if_note(option)) is not None:
        lines.append(Text(f"   {better}", style="yellow"))
    lines.append(Text(f"   why: {option.rationale}"))
    if option.details:
        lines.append(Text(f"   details: {option.details}"))
    if option.requires:
        lines.append(
            Text(f"   unknown, would settle it: {', '.join(option.requires)}", style="yellow")
        )
    for source in option.sources:
        shown = source.quote if original else source.english
        lines.append(
            Text(f"   source: “{shown}” — {source.document}, {source.section}", style="dim")
        )
    lines += [_caution(c) for c in option.cautions if c.severity != "contraindicating"]
    lines += [_caution(d) for d in option.dosing]
    for availability in option.availability:
        lines.append(Text(f"   availability: {availability.text}", style="magenta"))
    return Group(*lines)


def _caution(caution: CautionOut) -> Text:
    mark = SEVERITY_LABELS[caution.severity].upper()
    if caution.applies is None:
        mark += "? (unknown: " + ", ".join(caution.requires) + ")"
    where = origin(caution)
    text = f"   {mark}: {caution.text}" + (f"  [{where}]" if where else "")
    style = SEVERITY_STYLE[caution.severity] if caution.applies else "yellow"
    return Text(text, style=style)


def render_result(console: Console, result: ResultOut, *, original: bool = False) -> None:
    g = result.guideline
    status = {True: "applies", False: "does not apply", None: "cannot tell"}[result.applicable]
    console.rule(f"[bold]{g.id}[/] v{g.version} — {status}")
    console.print(Text(g.title, style="italic"))
    console.print(f"Scope: {result.applicability}. Source: {g.source_document} ({g.language})")
    render_pathway(console, result, original=original)
    if result.empty_branch is not None:
        empty = result.empty_branch
        lines = [f"{empty.why}.", f"Branch: {empty.branch}."]
        if empty.nearest:
            lines.append("Nearest in the source:")
            lines += [f"  • {n.id}: {n.why_not}" for n in empty.nearest]
        console.print(
            Panel("\n".join(lines), title="No regimen of this guideline applies now", style="red")
        )
    grouped = group(result)
    for tier, title in TIER_TITLES.items():
        options = grouped.tiers[tier]
        if options:
            console.print(Panel(Group(*(_option_block(o, original) for o in options)), title=title))
    if grouped.conditional:
        blocks: list[Text | Group] = []
        for option in grouped.conditional:
            blocks.append(Text(f"if {condition_text(option)}:", style="yellow"))
            blocks.append(_option_block(option, original))
        console.print(
            Panel(Group(*blocks), title="Only if what is still unknown turns out so (conditional)")
        )
    if result.excluded:
        table = Table(title="Excluded for this patient", show_header=True)
        table.add_column("option")
        table.add_column("reason")
        table.add_column("from")
        for e in result.excluded:
            table.add_row(e.id, e.reason, origin(e))
        console.print(table)
    if result.missing:
        table = Table(title="Unknown — would change the result", show_header=True)
        table.add_column("fact")
        table.add_column("why unknown")
        table.add_column("record fields")
        table.add_column("affects")
        for m in result.missing:
            table.add_row(m.fact, m.why, ", ".join(m.needs), ", ".join(m.affects))
        console.print(table)
    if result.notes:
        console.print(Panel("\n".join(f"• {n}" for n in result.notes), title="Notes"))


SUMMARY_LABELS = {
    "prior_lines": "prior lines",
    "current_line": "current line",
    "relapse_type": "relapse",
    "refractory": "refractory to",
    "refractory_unknown": "refractoriness unknown",
    "exposed": "exposed to",
    "exposed_unknown": "exposure unknown",
    "creatinine_clearance": "CrCl (mL/min)",
    "risk": "risk",
    "transplant_eligible": "transplant-eligible",
    "frail": "frail",
}


def _summary_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return _value(value)


WHY_SHOWN = 110
"""Characters of each item's reason shown in the terminal (the JSON and `mmpath facts` hold
it whole)."""


def render_summary(console: Console, rec: RecommendationOut) -> None:
    """The decision summary (recommendation 1.1): the branch-deciding facts at a glance, the
    start of each reason, and the derived lines of therapy."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("item", style="bold", no_wrap=True)
    table.add_column("value")
    table.add_column("why", style="dim")
    lines = ""
    for name, item in rec.summary.items():
        value = Text(_summary_value(item.value), style="yellow" if item.value is None else "")
        why_text, _, listed = item.why.partition(" Lines: ")
        lines = lines or listed
        if name == "current_line":
            why_text = ""  # the same reason as prior lines
        short = why_text if len(why_text) <= WHY_SHOWN else why_text[: WHY_SHOWN - 1] + "…"
        why = Text(short)
        for warning in item.warnings:
            why.append(f"\nWARNING: {warning}", style="bold red")
        table.add_row(SUMMARY_LABELS.get(name, name), value, why)
    body: list[Table | Text] = [table]
    if lines:
        body.append(Text(f"Lines of therapy: {lines}"))
    console.print(Panel(Group(*body), title="Decision summary", border_style="blue"))


def render(console: Console, rec: RecommendationOut, *, original: bool = False) -> None:
    console.print(
        f"[bold]mmpath {rec.mmpath_version}[/] — patient {rec.patient_id or '(no id)'} — "
        f"decision date {rec.as_of}"
    )
    render_summary(console, rec)
    for result in rec.results:
        render_result(console, result, original=original)
    if rec.comparison is not None:
        from mmpath.present.comparison import render_comparison

        render_comparison(console, rec.comparison)
    console.print(
        Text(
            "Decision support only: options as the cited guidelines give them; the treating "
            "haematologist decides.",
            style="dim",
        )
    )


def render_facts(
    console: Console, facts: dict[str, tuple[object, bool, str, str, tuple[str, ...]]]
) -> None:
    table = Table(show_header=True)
    table.add_column("fact")
    table.add_column("value")
    table.add_column("why")
    for name, (value, asserted, why, _definition, warnings) in facts.items():
        shown = _value(value) + (" (asserted)" if asserted else "")
        text = Text(why)
        for warning in warnings:
            text.append(f"\nWARNING: {warning}", style="bold red")
        table.add_row(name, shown, text)
    console.print(table)


def render_lines(console: Console, lines: tuple[Line, ...]) -> None:
    """The derived lines of therapy: number, first day, courses (each later one with the
    reason it continues the line), why the line started."""
    table = Table(title="Lines of therapy (IMWG consensus, Rajkumar 2015)", show_header=True)
    table.add_column("line")
    table.add_column("from")
    table.add_column("courses")
    table.add_column("why it is a line")
    for line in lines:
        courses = [line.courses[0].label()]
        courses += [f"{c.label()}: {c.line_why}" for c in line.courses[1:]]
        table.add_row(str(line.number), line.start.isoformat(), "\n".join(courses), line.why)
    if not lines:
        table.add_row("-", "-", "no treatment recorded", "")
    console.print(table)
