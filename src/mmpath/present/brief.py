"""``mmpath recommend`` without ``--full``: the short answer, about one screen.

The decision summary (one line per item), then per guideline whether it applies and its
options per tier with a one-line reason, the cautions that contraindicate or change a
dose, and what is still unknown. Every line is cut to the terminal width (80 columns
when piped), so the layout holds at 60 and 80 columns; ``--full`` prints everything.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from mmpath.present.grouping import SEVERITY_LABELS, condition_text, group, tier_if_note
from mmpath.present.text import SUMMARY_LABELS, _summary_value
from mmpath.recommendation import OptionOut, RecommendationOut, ResultOut
from mmpath.web.labels import fact_label

#: cautions shown in the short answer (monitoring and information ones: ``--full``)
SHORT_SEVERITIES = ("contraindicating", "dose")


def _line(console: Console, text: str, style: str = "") -> None:
    console.print(Text(text, style=style), no_wrap=True, overflow="ellipsis", soft_wrap=False)


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


def _option(console: Console, option: OptionOut, prefix: str) -> None:
    name = f" ({option.name})" if option.name and option.name != option.id else ""
    _line(console, f"{prefix}{option.id}{name} — {_first_sentence(option.rationale)}")
    if (better := tier_if_note(option)) is not None:
        _line(console, f"      {better}", "yellow")
    shown: set[str] = set()
    for note in (*option.cautions, *option.dosing):
        if note.applies is False or note.severity not in SHORT_SEVERITIES:
            continue
        label = SEVERITY_LABELS[note.severity]
        if note.applies is None and note.severity != "dose":
            # a caution whose condition is unknown must not read as the patient's condition
            label += "? (unknown: " + ", ".join(note.requires) + ")"
        text = f"      ! {label}: {note.text}"
        if text not in shown:
            shown.add(text)
            _line(console, text, "red")


def _result(console: Console, result: ResultOut) -> None:
    state = {True: "applies", None: "may apply", False: "does not apply"}[result.applicable]
    console.print()
    _line(console, f"{result.guideline.id} v{result.guideline.version} — {state}", "bold")
    _line(console, f"  {result.guideline.title}", "dim")
    if result.applicable is False:
        _line(console, f"  {result.applicability}")
        return
    if result.empty_branch is not None:
        _line(console, f"  No regimen applies now: {result.empty_branch.why}", "yellow")
    grouped = group(result)
    for tier, options in grouped.tiers.items():
        if options:
            _line(console, f"  {tier.capitalize()}:")
            for option in options:
                _option(console, option, "    ")
    if grouped.conditional:
        _line(console, "  Only if what is unknown turns out so:")
        for option in grouped.conditional:
            _option(console, option, f"    if {condition_text(option)}: ")
    if result.excluded:
        _line(console, "  Excluded: " + ", ".join(e.id for e in result.excluded))
    if result.missing:
        facts = ", ".join(fact_label(m.fact) for m in result.missing)
        _line(console, f"  Unknown: {facts}", "yellow")


def render_brief(console: Console, rec: RecommendationOut) -> None:
    _line(
        console,
        f"mmpath {rec.mmpath_version} — patient {rec.patient_id or '(no id)'} — "
        f"decision date {rec.as_of}",
        "bold",
    )
    for name, item in rec.summary.items():
        label = SUMMARY_LABELS.get(name, name)
        style = "yellow" if item.value is None else ""
        _line(console, f"  {label:<23}{_summary_value(item.value)}", style)
        for warning in item.warnings:
            _line(console, f"    WARNING: {warning}", "bold red")
    for result in rec.results:
        _result(console, result)
    console.print()
    _line(console, "Sources, quotes and every note: add --full.", "dim")
    _line(console, "Decision support only: the treating haematologist decides.", "dim")
