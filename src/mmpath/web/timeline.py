"""The patient's history as one inline SVG picture, drawn on the server (no JS library).

Top: treatment courses as labelled bars (an ongoing course runs to the evaluation date
and is drawn open-ended), procedures as markers (ASCT as a triangle), progressions as
red lines across the picture. Below: the M-protein and free-light-chain series, each in
its own panel with its own scale, in the canonical units of ``mmpath.record.units``.
A dashed line marks the evaluation date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from mmpath.catalogue import load_catalogue
from mmpath.record.model import PatientRecord
from mmpath.record.units import CANONICAL, to_canonical

WIDTH = 960
LEFT = 150
RIGHT = 24
BAR = 22
LANE_GAP = 6
PANEL = 90

PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("serum M-protein", ("serum_m_protein",)),
    ("urine M-protein", ("urine_m_protein",)),
    ("free light chains", ("flc_kappa", "flc_lambda")),
)
SERIES_CLASS = {"flc_kappa": "s-kappa", "flc_lambda": "s-lambda"}
PROCEDURE_LABEL = {
    "autologous_sct": "ASCT",
    "allogeneic_sct": "allo-SCT",
    "stem_cell_collection": "stem-cell collection",
    "radiotherapy": "radiotherapy",
    "car_t": "CAR-T",
}


@dataclass(frozen=True, slots=True)
class _Scale:
    start: dt.date
    end: dt.date

    def x(self, day: dt.date) -> float:
        span = max((self.end - self.start).days, 1)
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - self.start).days / span


def _dates(record: PatientRecord, as_of: dt.date) -> list[dt.date]:
    days = [as_of]
    if record.diagnosis and record.diagnosis.date:
        days.append(record.diagnosis.date)
    days += [c.start for c in record.treatments or []]
    days += [c.end for c in record.treatments or [] if c.end]
    days += [p.date for p in record.procedures or []]
    days += [p.date for p in record.progressions or []]
    days += [lab.date for lab in record.labs or [] if lab.test in CANONICAL]
    days += [m.date for m in record.mrd or []]
    return [d for d in days if d <= as_of] or [as_of]


def _lanes(record: PatientRecord, as_of: dt.date) -> list[int]:
    """Greedy lane per course so that overlapping courses do not overdraw each other."""
    ends: list[dt.date] = []
    lanes = []
    for course in record.treatments or []:
        stop = min(course.end or as_of, as_of)
        for lane, busy_until in enumerate(ends):
            if course.start > busy_until:
                ends[lane] = stop
                lanes.append(lane)
                break
        else:
            ends.append(stop)
            lanes.append(len(ends) - 1)
    return lanes


def _label(regimen: str | None, drugs: tuple[str, ...]) -> str:
    """The regimen as the record writes it; a drug list as its catalogue regimen id."""
    if regimen:
        return regimen
    known = load_catalogue().regimen_for_drugs(drugs)
    return known.id if known else " + ".join(drugs)


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    klass = f" class={quoteattr(cls)}" if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def render_timeline(record: PatientRecord, as_of: dt.date) -> str:
    """The SVG markup (a string; callers mark it safe: every text is escaped here)."""
    days = _dates(record, as_of)
    first = min(days)
    span = max((as_of - first).days, 60)
    # room right of the evaluation date for its label (~140 px of the plot width)
    plot = WIDTH - LEFT - RIGHT
    before = span // 20 + 15
    after = int((span + before) * 140 / (plot - 140))
    scale = _Scale(first - dt.timedelta(days=before), as_of + dt.timedelta(days=after))
    parts: list[str] = []
    top = 28
    # year ticks
    year_ticks = []
    for year in range(scale.start.year + 1, scale.end.year + 1):
        x = scale.x(dt.date(year, 1, 1))
        year_ticks.append((x, str(year)))

    # treatment lanes
    lanes = _lanes(record, as_of)
    lane_count = max(lanes, default=-1) + 1
    y_treat = top + 10
    treat_height = max(lane_count, 1) * (BAR + LANE_GAP)
    parts.append(_text(8, y_treat + 15, "Treatment", "lane-label"))
    if not record.treatments:
        parts.append(_text(LEFT, y_treat + 15, "no treatment recorded", "muted"))
    for course, lane in zip(record.treatments or [], lanes, strict=True):
        stop = min(course.end or as_of, as_of)
        x0, x1 = scale.x(course.start), max(scale.x(stop), scale.x(course.start) + 3)
        y = y_treat + lane * (BAR + LANE_GAP)
        label = _label(course.regimen, course.drug_set())
        setting = f" ({course.setting})" if course.setting else ""
        ongoing = course.end is None
        title = f"{label}{setting}: {course.start} to {course.end or 'ongoing'}"
        klass = "course ongoing" if ongoing else "course"
        parts.append(
            f"<g class={quoteattr(klass)}><title>{escape(title)}</title>"
            f'<rect x="{x0:.1f}" y="{y}" width="{x1 - x0:.1f}" height="{BAR}" rx="3"/>'
        )
        text = label + (" →" if ongoing else "")
        inside = (x1 - x0) > 7.2 * len(text) + 8
        if inside:
            parts.append(_text(x0 + 5, y + 15, text, "bar-text"))
        else:
            parts.append(_text(x1 + 4, y + 15, text, "bar-text-out"))
        parts.append("</g>")

    # events: procedures and MRD
    y_events = y_treat + treat_height + 8
    parts.append(_text(8, y_events + 16, "Procedures", "lane-label"))
    for procedure in record.procedures or []:
        if procedure.date > as_of:  # after the decision date: not part of this picture
            continue
        x = scale.x(procedure.date)
        label = PROCEDURE_LABEL.get(procedure.type, procedure.type)
        shape = (
            f'<path d="M{x:.1f},{y_events + 2} l8,16 h-16 z"/>'
            if procedure.type == "autologous_sct"
            else f'<path d="M{x:.1f},{y_events + 2} l8,8 l-8,8 l-8,-8 z"/>'
        )
        parts.append(
            f'<g class="procedure"><title>{escape(f"{label} on {procedure.date}")}</title>{shape}'
            + _text(x + 10, y_events + 15, label, "event-text")
            + "</g>"
        )
    for mrd in record.mrd or []:
        if mrd.date > as_of:
            continue
        x = scale.x(mrd.date)
        sign = "−" if mrd.result == "negative" else "+"
        parts.append(
            f'<g class="mrd"><title>{escape(f"MRD {mrd.result} on {mrd.date}")}</title>'
            f'<circle cx="{x:.1f}" cy="{y_events + 10}" r="5"/>'
            + _text(x + 8, y_events + 30, f"MRD{sign}", "event-text")
            + "</g>"
        )
    y_panels = y_events + 40

    # lab panels
    for title, tests in PANELS:
        series = {
            test: sorted(
                (lab.date, to_canonical(test, lab.value, lab.unit))
                for lab in record.labs or []
                if lab.test == test and lab.date <= as_of
            )
            for test in tests
        }
        if not any(series.values()):
            continue
        unit = CANONICAL[tests[0]]
        high = max(v for points in series.values() for _, v in points) or 1.0
        y0, y1 = y_panels + PANEL - 14, y_panels + 8
        parts.append(_text(8, y_panels + 20, title, "lane-label"))
        parts.append(_text(8, y_panels + 36, f"({unit})", "muted"))
        parts.append(
            f'<line class="axis" x1="{LEFT}" y1="{y0}" x2="{WIDTH - RIGHT}" y2="{y0}"/>'
            + _text(LEFT - 4, y0 + 4, "0", "tick", "end")
            + _text(LEFT - 4, y1 + 4, f"{high:g}", "tick", "end")
        )
        for test, points in series.items():
            if not points:
                continue
            klass = SERIES_CLASS.get(test, "s-mprotein")
            coords = [(scale.x(day), y0 - (y0 - y1) * value / high) for day, value in points]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline class={quoteattr("series " + klass)} points="{path}"/>')
            for (day, value), (px, py) in zip(points, coords, strict=True):
                parts.append(
                    f'<circle class={quoteattr("point " + klass)} cx="{px:.1f}" cy="{py:.1f}" r="3">'
                    f"<title>{escape(f'{test} {value:g} {unit} on {day}')}</title></circle>"
                )
            if len(tests) > 1:
                px, py = coords[-1]
                parts.append(_text(px + 6, py + 4, test.removeprefix("flc_"), "tick"))
        y_panels += PANEL
    height = y_panels + 10

    # progressions and the evaluation date across the whole picture
    for index, progression in enumerate(p for p in record.progressions or [] if p.date <= as_of):
        x = scale.x(progression.date)
        features = ", ".join(progression.features or [])
        title = f"{progression.type} progression on {progression.date}" + (
            f" ({features})" if features else ""
        )
        parts.append(
            f'<g class="progression"><title>{escape(title)}</title>'
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 10}"/>'
            + _text(
                x - 3, top - 8 - 11 * (index % 2), f"PD {progression.date:%b %Y}", "pd-text", "end"
            )
            + "</g>"
        )
    x_eval = scale.x(as_of)
    parts.append(
        f'<g class="evaluation"><title>evaluation date {as_of}</title>'
        f'<line x1="{x_eval:.1f}" y1="{top - 4}" x2="{x_eval:.1f}" y2="{height - 10}"/>'
        + _text(x_eval + 3, top - 8, f"evaluation {as_of}", "eval-text")
        + "</g>"
    )
    ticks = "".join(
        f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 10}"/>'
        + _text(x + 2, height, label, "tick")
        for x, label in year_ticks
    )
    summary = (
        f"{len(record.treatments or [])} treatment courses, {len(record.procedures or [])} "
        f"procedures, {len(record.progressions or [])} progressions, "
        f"{len(record.labs or [])} lab results, up to the evaluation date {as_of}"
    )
    return (
        f'<svg class="timeline" role="img" aria-labelledby="tl-title tl-desc" '
        f'viewBox="0 0 {WIDTH} {height + 8}">'
        f'<title id="tl-title">Patient timeline</title><desc id="tl-desc">{escape(summary)}</desc>'
        f"{ticks}{''.join(parts)}</svg>"
    )
