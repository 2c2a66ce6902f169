"""How every presenter orders a result for a reader (issue 9, rules 1–4).

What a reader sees first is what applies now: the options that apply (``recommended``)
by tier; then, apart, the options that apply only if something still unknown turns out a
certain way ("if …: …"), never inside a tier box as if they were recommended. Cautions
carry their severity and say where they come from. Used by the terminal text, the web
result page, the print summary and the PDF, so they all say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmpath.engine.drug_notes import DETAILS
from mmpath.recommendation import CautionOut, ExcludedOut, OptionOut, ResultOut

TIERS = ("preferred", "alternative", "consider")
TIER_TITLES = {
    "preferred": "Preferred (listed first by the guideline)",
    "alternative": "Alternatives ('other options')",
    "consider": "May be considered",
}
SEVERITY_LABELS = {
    "contraindicating": "Against",
    "dose": "Dose",
    "monitoring": "Monitor",
    "information": "Note",
}


@dataclass(frozen=True, slots=True)
class Grouped:
    tiers: dict[str, list[OptionOut]]
    """options that apply now, by tier (a tier with none is an empty list)"""
    conditional: list[OptionOut]
    """options that apply only if something unknown is settled, in result order"""


def group(result: ResultOut) -> Grouped:
    recommended = [o for o in result.options if o.status == "recommended"]
    return Grouped(
        tiers={tier: [o for o in recommended if o.tier == tier] for tier in TIERS},
        conditional=[o for o in result.options if o.status == "conditional"],
    )


def condition_text(option: OptionOut) -> str:
    """``if …`` for a conditional option."""
    return option.applies_if or ("these become known: " + ", ".join(option.requires))


def origin(item: CautionOut | ExcludedOut) -> str:
    """Where a caution, dose note or exclusion comes from, in words."""
    if item.provenance == "guideline":
        return "the guideline"
    if item.provenance == "label":
        # the label's short names; the full source (region, version, setting) is in the JSON
        short = item.source.split(DETAILS)[0] if item.source else ""
        return f"product label: {short}" if short else "product label"
    if item.provenance == "mmpath_rule":
        # the rule's name (before its colon); the whole rule is in the JSON ``source``
        return (item.source or "mmpath's general safety rule").split(":")[0]
    return "the guideline" if item.sources else ""


def moved_note(option: OptionOut) -> str | None:
    if option.listed_tier is None:
        return None
    return (
        f"The guideline lists this option as {option.listed_tier}; shown under "
        f"'{option.tier}' because the patient is refractory to a drug in it."
    )


def tier_if_note(option: OptionOut) -> str | None:
    """A better tier that depends on something still unknown, in words."""
    if option.tier_if is None:
        return None
    better = option.tier_if
    return f"{better.tier.capitalize()} if {better.applies_if} (another rule of the guideline)."
