"""Rich rendering of the side-by-side comparison of guidelines (``mmpath.compare``)."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mmpath.recommendation import ComparisonCellOut, ComparisonOut

REASON_CHARS = 70
STYLE = {
    "preferred": "bold green",
    "alternative": "green",
    "consider": "cyan",
    "excluded": "red",
    "not_applicable": "dim",
}
MARK = {"agree": "=", "differ": "≠", "only": "·", "note": "!"}


def _cell(cell: ComparisonCellOut) -> Text:
    if cell.state == "option":
        return Text(cell.text, style=STYLE[cell.tier or "consider"])
    if cell.state == "excluded":
        reason = cell.reason or ""
        short = reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"
        return Text(f"excluded: {short}", style=STYLE["excluded"])
    if cell.state == "not_applicable":
        return Text(cell.text, style=STYLE["not_applicable"])
    return Text("")


def render_comparison(console: Console, comparison: ComparisonOut) -> None:
    console.rule("[bold]Guidelines side by side[/]")
    table = Table(
        show_header=True,
        caption="tier? = conditional (unknown facts would settle it); blank = not mentioned; "
        "n/a = the guideline does not apply to this patient",
    )
    table.add_column("option")
    for column in comparison.columns:
        flag = {True: "", False: " (n/a)", None: " (?)"}[column.applicable]
        table.add_column(column.guideline + flag)
    for row in comparison.rows:
        label = row.id if row.kind == "regimen" else f"{row.id} [{row.kind}]"
        table.add_row(Text(label), *(_cell(c) for c in row.cells))
    console.print(table)
    if comparison.statements:
        lines = "\n".join(f"{MARK[s.kind]} {s.text}" for s in comparison.statements)
        console.print(
            Panel(
                Text(lines),
                title="Where the guidelines agree (=) and differ (≠) for this patient",
            )
        )
