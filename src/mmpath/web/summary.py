"""The tumour-board summary: what one page says, for the print view and the PDF.

Both the print page (HTML with print CSS) and the PDF are built from :func:`summarise`,
so they say the same. The PDF is drawn with fpdf2 (pure Python) in DejaVu Sans, which
covers the record's and the sources' characters (≥, β, µ, –); the font comes from the
Debian package ``fonts-dejavu-core``. Without it the PDF falls back to a core font and
replaces characters that font lacks, and says so on the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmpath.present.grouping import SEVERITY_LABELS, condition_text, group, origin
from mmpath.recommendation import CautionOut, OptionOut, RecommendationOut, ResultOut
from mmpath.record.model import PatientRecord
from mmpath.web.labels import code_label, fact_label, option_label, words

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)


@dataclass(slots=True)
class GuidelineSummary:
    result: ResultOut
    tiers: dict[str, list[OptionOut]] = field(default_factory=dict)
    """options that apply now, by tier"""
    conditional: list[OptionOut] = field(default_factory=list)
    """options that apply only if something unknown is settled (shown apart)"""

    def brief(self) -> str:
        """One line: the option ids per tier, then the conditional ones apart."""
        parts = []
        if self.result.empty_branch is not None:
            parts.append("no regimen applies now")
        for tier, options in self.tiers.items():
            if options:
                parts.append(f"{tier}: {', '.join(o.id for o in options)}")
        if self.conditional:
            parts.append("only if settled: " + ", ".join(o.id for o in self.conditional))
        return "; ".join(parts) or "no options"


def caution_line(caution: CautionOut) -> str:
    """A caution or dose note in one line: severity, text, where it comes from."""
    mark = SEVERITY_LABELS[caution.severity]
    if caution.applies is None:
        mark += " (if " + ", ".join(caution.requires) + ")"
    where = origin(caution)
    return f"{mark}: {caution.text}" + (f" [{where}]" if where else "")


def option_notes(option: OptionOut) -> list[str]:
    """The cautions and dose notes of an option that apply or may apply, most severe first;
    notes of severity "information" stay on the Options page (the summary is one page)."""
    return [
        caution_line(c)
        for c in (*option.cautions, *option.dosing)
        if c.applies is not False and c.severity != "information"
    ]


@dataclass(slots=True)
class Summary:
    patient: list[tuple[str, str]]
    decision: list[tuple[str, str]]  # the decision summary, label and value
    lines: str  # the derived lines of therapy, one clause each
    history: list[str]
    focus: GuidelineSummary | None  # shown in full
    others: list[GuidelineSummary]  # other applicable guidelines, one line each
    not_applicable: list[ResultOut]
    as_of: str
    version: str
    disease: list[tuple[str, str]] = field(default_factory=list)  # ISS, R-ISS, cytogenetics
    labs: list[str] = field(default_factory=list)  # the latest value of each test
    question: str = ""  # the question for the board
    decided: list[tuple[str, str]] = field(default_factory=list)  # the decision recorded


def _patient_lines(record: PatientRecord, out: RecommendationOut) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = [("Patient", record.id or "(no identifier)")]
    lines.append(("Decision date", out.as_of))
    as_of = dt.date.fromisoformat(out.as_of)
    if record.birth_date is not None:
        born = record.birth_date
        years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
        lines.append(("Age", str(years)))
    elif record.age is not None:
        lines.append(("Age", str(record.age)))
    for label, value in (
        ("Sex", record.sex),
        ("ECOG", record.ecog),
        ("Region", record.region),
        ("Isotype", record.diagnosis.isotype if record.diagnosis else None),
        ("Diagnosis", record.diagnosis.date if record.diagnosis else None),
    ):
        lines.append((label, "unknown" if value is None else str(value)))
    return lines


SUMMARY_LABELS = {
    "prior_lines": "Prior lines",
    "current_line": "Current line",
    "relapse_type": "Relapse",
    "refractory": "Refractory to",
    "refractory_unknown": "Refractoriness unknown",
    "exposed": "Exposed to",
    "exposed_unknown": "Exposure unknown",
    "creatinine_clearance": "CrCl (mL/min)",
    "risk": "Risk",
    "transplant_eligible": "Transplant-eligible",
    "frail": "Frail",
}


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(code_label(v) for v in value) or "none"  # imid -> IMiD
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _decision(out: RecommendationOut) -> list[tuple[str, str]]:
    return [(SUMMARY_LABELS.get(k, k), _shown(item.value)) for k, item in out.summary.items()]


def _lines(out: RecommendationOut) -> str:
    """The derived lines from the summary's reason ("... Lines: line 1 from ...")."""
    item = out.summary.get("current_line")
    if item is None or "Lines: " not in item.why:
        return ""
    return item.why.split("Lines: ", 1)[1]


def _history(record: PatientRecord) -> list[str]:
    events: list[tuple[str, str]] = []
    for course in record.treatments or []:
        name = course.regimen or " + ".join(course.drugs or [])
        end = str(course.end) if course.end else "ongoing"
        extra = ", ".join(
            x
            for x in (
                course.setting,
                course.best_response and f"best {course.best_response}",
                course.stop_reason and f"stopped: {course.stop_reason}",
            )
            if x
        )
        events.append(
            (
                str(course.start),
                f"{course.start} – {end}: {name}" + (f" ({extra})" if extra else ""),
            )
        )
    for procedure in record.procedures or []:
        events.append(
            (str(procedure.date), f"{procedure.date}: {procedure.type.replace('_', ' ')}")
        )
    for progression in record.progressions or []:
        features = ", ".join(progression.features or [])
        events.append(
            (
                str(progression.date),
                f"{progression.date}: {progression.type} progression"
                + (f" ({features})" if features else ""),
            )
        )
    return [text for _, text in sorted(events)]


CYTOGENETICS = (
    ("del_17p", "del(17p)"),
    ("t_4_14", "t(4;14)"),
    ("t_14_16", "t(14;16)"),
    ("t_14_20", "t(14;20)"),
    ("t_11_14", "t(11;14)"),
    ("gain_1q", "gain(1q)"),
    ("amp_1q", "amp(1q)"),
    ("del_1p", "del(1p)"),
    ("tp53_mutation", "TP53 mutation"),
)


def _disease(record: PatientRecord) -> list[tuple[str, str]]:
    """ISS, R-ISS and the cytogenetics as recorded (present / absent / not tested)."""
    diagnosis = record.diagnosis
    lines = [
        ("ISS", _shown(diagnosis.iss if diagnosis else None)),
        ("R-ISS", _shown(diagnosis.r_iss if diagnosis else None)),
    ]
    cyto = record.cytogenetics
    if cyto is None:
        lines.append(("Cytogenetics", "not recorded"))
        return lines
    present = [label for key, label in CYTOGENETICS if getattr(cyto, key, None) is True]
    absent = [label for key, label in CYTOGENETICS if getattr(cyto, key, None) is False]
    untested = [label for key, label in CYTOGENETICS if getattr(cyto, key, None) is None]
    text = "; ".join(
        part
        for part in (
            "present: " + ", ".join(present) if present else "",
            "absent: " + ", ".join(absent) if absent else "",
            "not tested: " + ", ".join(untested) if untested else "",
        )
        if part
    )
    when = f" ({cyto.method or 'method unknown'}, {cyto.date})" if cyto.date else ""
    lines.append(("Cytogenetics" + when, text))
    return lines


def _latest_labs(record: PatientRecord) -> list[str]:
    latest: dict[str, object] = {}
    for lab in sorted(record.labs or [], key=lambda x: x.date):
        latest[lab.test] = lab
    return [
        f"{test.replace('_', ' ')} {lab.value:g} {lab.unit} ({lab.date})"  # type: ignore[attr-defined]
        for test, lab in latest.items()
    ]


def _question(out: RecommendationOut) -> str:
    """The question the board answers, from the decision summary's line of therapy."""
    line = out.summary.get("current_line")
    prior = out.summary.get("prior_lines")
    if line is None or line.value is None:
        return "Which treatment now? (the line of therapy is unknown)"
    prior_text = f", after {_shown(prior.value)} prior line(s)" if prior else ""
    return f"Which treatment for line {_shown(line.value)}{prior_text}?"


REASON_LABELS = {
    "toxicity_comorbidity": "toxicity or comorbidity",
    "prior_treatment": "prior treatment",
    "patient_preference": "patient preference",
    "clinical_trial": "clinical trial",
    "documented_rationale": "documented rationale",
    "other": "other",
}


def decision_lines(decision: Any, out: RecommendationOut | None = None) -> list[tuple[str, str]]:
    """A recorded decision (``mmpath.store.decisions.Decision``) in words."""
    if decision is None:
        return []
    names: dict[str, str] = {}
    for result in out.results if out else []:
        for option in result.options:
            names.setdefault(option.id, option.name)
    chosen = (
        f"{decision.option_id} ({names[decision.option_id]})"
        if decision.option_id in names and names[decision.option_id] != decision.option_id
        else decision.option_id or f"another regimen: {decision.regimen}"
    )
    lines = [
        ("Chosen", chosen),
        ("Pathway", "on pathway" if decision.pathway == "on" else "off pathway"),
    ]
    if decision.reason:
        reason = REASON_LABELS.get(decision.reason, decision.reason)
        lines.append(
            ("Reason", reason + (f": {decision.reason_text}" if decision.reason_text else ""))
        )
    elif decision.reason_text:
        lines.append(("Note", decision.reason_text))
    lines.append(
        ("Decided", f"{decision.at:%Y-%m-%d}" + (f" by {decision.by}" if decision.by else ""))
    )
    return lines


def summarise(
    record: PatientRecord,
    out: RecommendationOut,
    guideline: str | None = None,
    *,
    decision: Any = None,
) -> Summary:
    """The summary, in full for ``guideline`` (default: an applicable one of the patient's region, else the first applicable one).

    The other applicable guidelines get one line each (their option ids per tier), so
    that the summary stays one page however many guidelines apply.
    """
    guidelines = []
    for result in out.results:
        if result.applicable is False:
            continue
        grouped = group(result)
        guidelines.append(GuidelineSummary(result, grouped.tiers, grouped.conditional))
    focus = next((g for g in guidelines if g.result.guideline.id == guideline), None)
    if focus is None and record.region:
        focus = next(
            (
                g
                for g in guidelines
                if g.result.applicable
                and g.result.guideline.id.split("-")[0].upper() == record.region
            ),
            None,
        )
    if focus is None:
        focus = next((g for g in guidelines if g.result.applicable), None)
    if focus is None and guidelines:
        focus = guidelines[0]
    return Summary(
        patient=_patient_lines(record, out),
        decision=_decision(out),
        lines=_lines(out),
        history=_history(record),
        focus=focus,
        others=[g for g in guidelines if g is not focus],
        not_applicable=[r for r in out.results if r.applicable is False],
        as_of=out.as_of,
        version=out.mmpath_version,
        disease=_disease(record),
        labs=_latest_labs(record),
        question=_question(out),
        decided=decision_lines(decision, out),
    )


def font_files() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


_FALLBACK = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "≥": ">=",
        "≤": "<=",
        "β": "beta",
        "µ": "u",
        "→": "->",
        "’": "'",
        "“": '"',
        "”": '"',
        "−": "-",
    }
)


def render_pdf(summary: Summary) -> bytes:
    """The summary as an A4 PDF."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(True, margin=14)
    fonts = font_files()
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
        family = "DejaVu"

        def clean(text: str) -> str:
            return text
    else:
        family = "Helvetica"

        def clean(text: str) -> str:
            return text.translate(_FALLBACK).encode("latin-1", "replace").decode("latin-1")

    pdf.set_title("mmpath tumour board summary")
    pdf.set_creator(f"mmpath {summary.version}")
    pdf.add_page()

    def line(text: str, size: float = 9, style: str = "", height: float = 4.4) -> None:
        pdf.set_font(family, style, size)
        # mmpath's generated text in words, as the print page shows it (labels.words)
        pdf.multi_cell(0, height, clean(words(text)), align="L", new_x="LMARGIN", new_y="NEXT")

    line("Tumour board summary", 15, "B", 7)
    line(
        f"mmpath {summary.version} · decision date {summary.as_of} · options as the guidelines "
        "give them; the treating physician decides.",
        8,
    )
    if not fonts:
        line("(DejaVu font not installed: some characters are simplified.)", 7)
    pdf.ln(2)
    line("  ·  ".join(f"{k}: {v}" for k, v in summary.patient), 9)
    line("  ·  ".join(f"{k}: {v}" for k, v in summary.disease), 8.5, height=4)
    if summary.labs:
        line("Latest labs: " + "; ".join(summary.labs), 8, height=3.8)
    pdf.ln(1)
    line("Question for the board: " + summary.question, 10, "B", 5)
    if summary.decided:
        line("Decision: " + "  ·  ".join(f"{k}: {v}" for k, v in summary.decided), 9.5, "B", 4.6)
    else:
        line("Decision: not yet recorded", 9)
    pdf.ln(1)
    line("Decision summary", 11, "B", 6)
    line("  ·  ".join(f"{k}: {v}" for k, v in summary.decision), 9)
    if summary.lines:
        line(f"Lines of therapy: {summary.lines}", 8, height=4)
    pdf.ln(1)
    line("History", 11, "B", 6)
    for event in summary.history or ["no treatment history recorded"]:
        line("• " + event, 8.5, height=4)
    for entry in [summary.focus] if summary.focus else []:
        result = entry.result
        pdf.ln(2)
        line(f"{result.guideline.title} (v{result.guideline.version})", 11, "B", 5.5)
        if result.applicable is None:
            line(f"May apply: {result.applicability} (unknown for this patient)", 8.5)
        if result.empty_branch is not None:
            empty = result.empty_branch
            line(f"No regimen of this guideline applies now: {empty.why}.", 9, "B", 4.4)
            line(f"Branch: {empty.branch}.", 8.5, height=4)
            for n in empty.nearest:
                line(f"   nearest: {option_label(n.id, n.name)}: {n.why_not}", 8, height=3.8)

        def option_lines(option: OptionOut) -> None:
            moved = f" [listed as {option.listed_tier}]" if option.listed_tier else ""
            title = option_label(option.id, option.name)
            named = f" ({option.name})" if option.name and option.name != title else ""
            line(f"• {title}{named}{moved}: {option.rationale}", 8.5, height=4)
            sections = list(dict.fromkeys(s.section for s in option.sources))
            if sections:
                line("   source: " + "; ".join(sections), 7.5, height=3.6)
            for note in option_notes(option):
                line("   " + note, 7.8, height=3.7)

        for tier, options in entry.tiers.items():
            if not options:
                continue
            line(tier.capitalize(), 9.5, "B", 5)
            for option in options:
                option_lines(option)
        if entry.conditional:
            line("Only if what is still unknown turns out so", 9.5, "B", 5)
            for option in entry.conditional:
                line(f"if {condition_text(option)} ({option.tier}):", 8.5, "B", 4)
                option_lines(option)
        if result.excluded:
            line(
                "Excluded: "
                + "; ".join(f"{option_label(e.id, e.name)}: {e.reason}" for e in result.excluded),
                8,
                height=4,
            )
        if result.missing:
            line("Unknown: " + ", ".join(fact_label(m.fact) for m in result.missing), 8, height=4)
    if summary.others:
        pdf.ln(2)
        line("Other guidelines that apply or may apply", 11, "B", 5.5)
        for other in summary.others:
            result = other.result
            may = " (may apply)" if result.applicable is None else ""
            line(
                f"• {result.guideline.id} v{result.guideline.version}{may}: {other.brief()}",
                8.5,
                height=4,
            )
    if summary.not_applicable:
        pdf.ln(1)
        line(
            "Not applicable: "
            + "; ".join(f"{r.guideline.id} ({r.applicability})" for r in summary.not_applicable),
            8,
        )
    return bytes(pdf.output())
