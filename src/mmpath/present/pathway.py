"""The phased plan of a pathway guideline as a timeline-like table (terminal, Rich).

One section per phase, in the guideline's order: a marker and the phase's status with its
reason, then the phase's options with grade, ranking and status, and for each option the
guideline's own sentence in the source language with its English rendering. The current
phase and the options marked ``current_step`` are highlighted.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mmpath.recommendation import OptionOut, ResultOut

MARKERS = {"done": "✓", "current": "▶", "upcoming": "·", "not_applicable": "–"}
STEP_STYLE = {
    "done": "dim",
    "current": "bold reverse",
    "upcoming": "",
    "not_applicable": "dim italic",
}


def _option_cell(option: OptionOut) -> Text:
    text = Text()
    text.append("→ " if option.current_step else "  ", style="bold green")
    text.append(option.id, style="bold" if option.current_step else "")
    if option.kind != "regimen" or option.name != option.id:
        text.append(f" ({option.name})")
    text.append(f"\n  {option.tier}, {option.status}")
    if option.requires:
        text.append(f" (needs: {', '.join(option.requires)})", style="yellow")
    if option.details:
        text.append(f"\n  {option.details}", style="cyan")
    for dose in option.dosing:
        text.append(f"\n  DOSE{'' if dose.applies else '?'}: {dose.text}", style="blue")
    for availability in option.availability:
        text.append(f"\n  {availability.text}", style="magenta")
    return text


def _source_cell(option: OptionOut, original: bool) -> Text:
    if not option.sources:
        return Text("")
    source = option.sources[0]
    text = Text()
    if original:
        text.append(f"“{source.quote}”")
    else:
        text.append(f"“{source.quote}”", style="italic")
        text.append(f"\n= “{source.english}”")
    text.append(f"\n{source.section}", style="dim")
    return text


def render_pathway(console: Console, result: ResultOut, *, original: bool = False) -> None:
    """Print the plan: phases in order, status and reason, options with grade and source."""
    if not result.pathway or result.applicable is False:
        return  # the notes say why the guideline does not apply; no plan to show
    language = result.guideline.language
    table = Table(title="Pathway (▶ current step)", show_header=True, show_lines=False)
    table.add_column("", width=1)
    table.add_column("phase / option", ratio=2)
    table.add_column("grade", justify="center", max_width=12)
    table.add_column(
        f"guideline sentence ({language})" + ("" if original else " and English"), ratio=3
    )
    for i, step in enumerate(result.pathway):
        if i:
            table.add_section()
        style = STEP_STYLE[step.status]
        table.add_row(
            MARKERS[step.status],
            Text(f"{step.phase.upper()} — {step.status.replace('_', ' ')}", style=style),
            "",
            Text(step.why, style="dim"),
        )
        for option in (o for o in result.options if o.phase == step.phase):
            table.add_row(
                "",
                _option_cell(option),
                option.grade or "—",
                _source_cell(option, original),
                style="on grey15" if option.current_step else "",
            )
    console.print(table)
