"""The cohort report: one self-contained HTML file (no network), plots drawn with Plotly.

Plotly is a maintained plotting library that ships its JavaScript bundle inside the
Python package (``plotly.offline.get_plotlyjs``), so the report inlines it once and opens
offline, and it draws Sankey diagrams natively. (Altair/Vega-Lite would need the Vega
bundles vendored separately.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from mmpath import __version__
from mmpath.cohort import summary
from mmpath.cohort.backend import Evaluation
from mmpath.cohort.classify import CLASSIFICATIONS
from mmpath.cohort.extract import problems_frame

COLOURS = {
    "on_pathway": "#2e7d32",
    "off_pathway": "#c62828",
    "undetermined": "#f9a825",
    "not_covered": "#9e9e9e",
}
LABELS = {
    "on_pathway": "on pathway",
    "off_pathway": "off pathway",
    "undetermined": "undetermined",
    "not_covered": "not covered",
}
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]


def table(frame: pl.DataFrame, limit: int | None = None) -> Table:
    shown = frame.head(limit) if limit else frame
    return Table(list(shown.columns), [[_cell(v) for v in row] for row in shown.iter_rows()])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:.1f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _html(fig: go.Figure, name: str) -> str:
    fig.update_layout(
        margin={"l": 40, "r": 20, "t": 50, "b": 40}, template="plotly_white", font={"size": 12}
    )
    return str(
        fig.to_html(
            full_html=False, include_plotlyjs=False, config=PLOT_CONFIG, div_id=f"plot-{name}"
        )
    )


def _by_guideline(rows: summary.Rows) -> go.Figure:
    data = summary.counts(rows, ["guideline"])
    fig = go.Figure()
    for c in CLASSIFICATIONS:
        fig.add_bar(
            y=data["guideline"].to_list(),
            x=data[c].to_list(),
            name=LABELS[c],
            orientation="h",
            marker_color=COLOURS[c],
        )
    fig.update_layout(barmode="stack", title="Decisions per guideline by classification")
    fig.update_xaxes(title="decisions")
    return fig


def _rate_lines(data: pl.DataFrame, x: str, title: str, kind: str = "line") -> go.Figure:
    fig = go.Figure()
    for guideline in sorted(set(data["guideline"].to_list())):
        part = data.filter((pl.col("guideline") == guideline) & (pl.col("covered") > 0))
        if kind == "line":
            fig.add_scatter(
                x=part[x].to_list(),
                y=part["concordance"].to_list(),
                name=guideline,
                mode="lines+markers",
            )
        else:
            fig.add_bar(
                x=[str(v) for v in part[x].to_list()],
                y=part["concordance"].to_list(),
                name=guideline,
            )
    fig.update_layout(title=title, barmode="group")
    fig.update_yaxes(title="on pathway / covered", tickformat=".0%", range=[0, 1])
    fig.update_xaxes(title=x, categoryorder="category ascending")
    return fig


def _missing(burden: pl.DataFrame) -> go.Figure:
    top = burden.sort(["share", "fact"], descending=[True, False]).head(20).reverse()
    labels = [f"{f} ({g})" for f, g in zip(top["fact"], top["guideline"], strict=True)]
    fig = go.Figure(
        go.Bar(x=top["share"].to_list(), y=labels, orientation="h", marker_color="#f9a825")
    )
    fig.update_layout(
        title="Missing-data burden: facts unknown that would change the result", height=560
    )
    fig.update_xaxes(title="share of covered decisions", tickformat=".0%")
    return fig


def _sankey(moves: pl.DataFrame) -> go.Figure:
    nodes: dict[tuple[int, str], int] = {}

    def node(line: int, regimen: str) -> int:
        return nodes.setdefault((line, regimen), len(nodes))

    sources, targets, values = [], [], []
    for line, regimen, following, patients in moves.iter_rows():
        sources.append(node(line, regimen))
        targets.append(node(line + 1, following))
        values.append(patients)
    labels = [f"L{line} {regimen}" for (line, regimen) in nodes]
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12, "thickness": 14},
            link={"source": sources, "target": targets, "value": values},
        )
    )
    fig.update_layout(title="Line-to-line transitions (regimen at each line start)", height=620)
    return fig


def render(evaluation: Evaluation, *, source: str, guideline: str, notes: list[str]) -> str:
    """The report's HTML (deterministic for the same rows: no clock, sorted tables).

    Every figure and table is an aggregate of the rows scanned from the evaluation's
    files (``summary``), never the rows in memory at once."""
    rows = evaluation.scan()
    env = Environment(
        loader=PackageLoader("mmpath.cohort", "templates"),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    burden = summary.missing_burden(rows)
    figures = {
        "guideline": _html(_by_guideline(rows), "guideline"),
        "year": _html(
            _rate_lines(
                summary.counts(rows, ["guideline", "year"]),
                "year",
                "Concordance by year of decision",
            ),
            "year",
        ),
        "line": _html(
            _rate_lines(
                summary.counts(rows, ["guideline", "line"]),
                "line",
                "Concordance by line of therapy",
                "bar",
            ),
            "line",
        ),
        "site": _html(
            _rate_lines(
                summary.counts(rows, ["guideline", "site"]), "site", "Concordance by site", "bar"
            ),
            "site",
        ),
        "missing": _html(_missing(burden), "missing") if burden.height else "",
        "sankey": _html(_sankey(summary.transitions(rows)), "sankey"),
    }
    first, last = summary.period(rows)
    return env.get_template("report.html").render(
        plotly_js=get_plotlyjs(),
        figures=figures,
        version=__version__,
        source=source,
        guideline=guideline,
        patients=evaluation.patients,
        decisions=evaluation.decisions,
        rows=evaluation.files.height,
        period=(
            f"{first.isoformat()} to {last.isoformat()}"
            if isinstance(first, dt.date) and isinstance(last, dt.date)
            else "no decisions"
        ),
        by_guideline=table(summary.counts(rows, ["guideline"])),
        by_node=table(summary.counts(rows.filter(summary.COVERED), ["guideline", "node"])),
        by_line=table(summary.counts(rows, ["guideline", "line"])),
        by_site=table(summary.counts(rows, ["guideline", "site"])),
        by_year=table(summary.counts(rows, ["guideline", "year"])),
        burden=table(burden, 60),
        undetermined=table(summary.undetermined_facts(rows), 40),
        reasons=table(summary.recorded_reasons(rows)),
        set_aside=table(problems_frame(evaluation.set_aside).drop("kind"), 200),
        set_aside_count=len({p.patient_id for p in evaluation.set_aside}),
        notes=notes,
        colours=COLOURS,
        labels=LABELS,
    )
