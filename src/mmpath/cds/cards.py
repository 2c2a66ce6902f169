"""CDS Hooks cards from a recommendation (CDS Hooks 2.0 "Card Attributes").

Every card has a ``uuid`` (feedback names it), a ``summary`` under 140 characters, an
``indicator``, a ``source`` (the guideline's title and version, linking to mmpath's
page of sources), a markdown ``detail`` (options by tier with reasons, cautions, dose
notes, exclusions, what is missing, and what the EHR data did not give), a link to the
full audited result, and ``overrideReasons`` from the off-pathway reason list
(recommendation-v1 1.1), each with a ``display`` (cds-resp-4).

``patient-view``: one card per guideline that applies or may apply (``warning`` when an
option is conditional, the guideline may not apply, or EHR data were ambiguous).
``order-select``: one card on the regimen being ordered (``critical`` when the patient
is refractory to, or must not get, an ordered drug; ``warning`` when it is not a
recommended option of any applicable guideline or a caution applies); suggestions of
the preferred options when the order is not one (``selectionBehavior`` at-most-one, one
``isRecommended``: cds-resp-1, cds-resp-6, every action with a description: cds-resp-5).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from mmpath.cds.config import CdsConfig
from mmpath.fhir import codes
from mmpath.recommendation import OptionOut, RecommendationOut, ResultOut
from mmpath.store.decisions import REASONS

REASON_SYSTEM = "urn:mmpath:off-pathway-reason"
SUMMARY_LIMIT = 139
TIERS = (
    ("preferred", "Preferred"),
    ("alternative", "Alternative"),
    ("consider", "May be considered"),
)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|])")


def md(text: str) -> str:
    """Text from the EHR or a record, escaped for GitHub-flavoured markdown."""
    return _MARKDOWN.sub(r"\\\1", text)


def summary(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def override_reasons() -> list[dict[str, str]]:
    return [
        {"system": REASON_SYSTEM, "code": code, "display": display}
        for code, display in REASONS.items()
    ]


def label(option: OptionOut) -> str:
    return option.id if option.kind == "regimen" else option.name


def source(result: ResultOut, config: CdsConfig) -> dict[str, Any]:
    g = result.guideline
    return {
        "label": summary(f"{g.title} (version {g.version})"),
        "url": config.url("/about#sources"),
        "topic": {"system": "urn:mmpath:guideline", "code": g.id, "display": g.title[:200]},
    }


def links(config: CdsConfig, audit_id: int) -> list[dict[str, str]]:
    return [
        {
            "label": f"Full result in mmpath (audit {audit_id})",
            "url": config.url(f"/api/v1/audit/{audit_id}"),
            "type": "absolute",
        }
    ]


def _option_lines(option: OptionOut) -> list[str]:
    status = (
        ""
        if option.status == "recommended"
        else f" — *conditional: needs {', '.join(option.requires)}*"
    )
    name = f" ({option.name})" if option.kind == "regimen" and option.name != option.id else ""
    lines = [f"- **{label(option)}**{name}: {option.rationale}{status}"]
    for caution in option.cautions:
        if caution.applies is not False:
            maybe = "" if caution.applies else " (may apply: " + ", ".join(caution.requires) + ")"
            lines.append(f"  - Caution: {caution.text}{maybe}")
    for dose in option.dosing:
        if dose.applies is not False:
            lines.append(f"  - Dose: {dose.text}")
    return lines


def _ehr_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"- {len(report['used'])} FHIR resources used, {len(report['unused'])} not used"]
    reasons: dict[str, int] = {}
    for entry in report["unused"]:
        reasons[entry["reason"]] = reasons.get(entry["reason"], 0) + 1
    if reasons:
        lines.append(
            "  - not used: "
            + ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in sorted(reasons.items()))
        )
    for guess in report["guesses"][:8]:
        lines.append(f"- Inferred {md(guess['field'])}: {md(guess['detail'])}")
    for absent in report["absent"]:
        lines.append(f"- Unknown {md(absent['field'])}: {md(absent['detail'])}")
    return lines


def detail(result: ResultOut, report: dict[str, Any]) -> str:
    g = result.guideline
    lines = [f"**{g.title}** (version {g.version}; source {g.source_document})", ""]
    applies = {True: "applies", False: "does not apply", None: "may apply"}[result.applicable]
    lines.append(f"The guideline {applies}: {result.applicability}")
    for tier, heading in TIERS:
        options = [o for o in result.options if o.tier == tier]
        if options:
            lines += ["", f"### {heading}"]
            for option in options:
                lines += _option_lines(option)
    if result.excluded:
        lines += ["", "### Not for this patient"]
        lines += [f"- **{e.id}**: {e.reason}" for e in result.excluded]
    if result.missing:
        lines += ["", "### Missing information"]
        lines += [f"- {m.fact}: needs {', '.join(m.needs)}" for m in result.missing]
    notes = [n.text for n in result.annotations if n.applies is not False]
    if notes:
        lines += ["", "### Notes"] + [f"- {n}" for n in notes]
    lines += ["", "### Data from the EHR", *_ehr_lines(report)]
    return "\n".join(lines)


def _ambiguous(report: dict[str, Any]) -> bool:
    return any(u["reason"] in ("ambiguous", "invalid") for u in report["unused"])


def patient_view_cards(
    output: RecommendationOut, report: dict[str, Any], config: CdsConfig, audit_id: int
) -> list[dict[str, Any]]:
    cards = []
    for result in output.results:
        if result.applicable is False:
            continue
        preferred = [
            label(o) for o in result.options if o.tier == "preferred" and o.status == "recommended"
        ]
        conditional = sum(o.status == "conditional" for o in result.options)
        head = f"{result.guideline.id}" + (" may apply" if result.applicable is None else "")
        if preferred:
            text = f"{head}: preferred {', '.join(preferred)}"
        elif result.options:
            text = f"{head}: {len(result.options)} options, none preferred for certain"
        else:
            text = f"{head}: no option for this patient"
        if conditional:
            text += f"; {conditional} conditional"
        warn = conditional > 0 or result.applicable is None or _ambiguous(report)
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": summary(text),
                "indicator": "warning" if warn else "info",
                "detail": detail(result, report),
                "source": source(result, config),
                "links": links(config, audit_id),
                "overrideReasons": override_reasons(),
            }
        )
    if not cards:
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": "No guideline in mmpath covers this patient now",
                "indicator": "info",
                "detail": "\n".join(
                    [
                        f"- {r.guideline.title}: does not apply ({r.applicability})"
                        for r in output.results
                    ]
                    + ["", "### Data from the EHR"]
                    + _ehr_lines(report)
                ),
                "source": {"label": "mmpath guideline packs", "url": config.url("/about#sources")},
                "links": links(config, audit_id),
                "overrideReasons": override_reasons(),
            }
        )
    return cards


# -- order-select ---------------------------------------------------------------------------


@dataclass
class OrderCheck:
    """What mmpath can say about the regimen being ordered."""

    name: str  # the regimen id or the drugs joined
    drugs: tuple[str, ...]
    selected: list[str]  # "MedicationRequest/id" of the selected draft orders
    matches: list[tuple[ResultOut, OptionOut]] = field(default_factory=list)
    excluded: list[tuple[ResultOut, str]] = field(default_factory=list)
    refractory: list[str] = field(default_factory=list)  # "lenalidomide: why"
    contraindicated: list[str] = field(default_factory=list)
    intolerant: list[str] = field(default_factory=list)

    @property
    def on_pathway(self) -> bool:
        return any(o.status == "recommended" for _r, o in self.matches)


def _create_actions(drugs: tuple[str, ...], patient_id: str) -> list[dict[str, Any]]:
    atc = {inn: code for code, inn in reversed(list(codes.ATC_DRUGS.items()))}
    actions = []
    for drug in drugs:
        concept: dict[str, Any] = {"text": drug}
        if drug in atc:
            concept["coding"] = [{"system": codes.ATC, "code": atc[drug], "display": drug}]
        actions.append(
            {
                "type": "create",
                "description": f"Draft an order for {drug}",
                "resource": {
                    "resourceType": "MedicationRequest",
                    "status": "draft",
                    "intent": "proposal",
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "medicationCodeableConcept": concept,
                },
            }
        )
    return actions


def order_card(
    check: OrderCheck,
    output: RecommendationOut,
    report: dict[str, Any],
    config: CdsConfig,
    audit_id: int,
    patient_id: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The card and its suggestions' ``{uuid: option id}``."""
    applicable = [r for r in output.results if r.applicable is not False]
    lines = [f"Ordered: **{check.name}** ({', '.join(check.drugs)})", ""]
    if check.refractory or check.contraindicated:
        indicator = "critical"
        problems = [f"refractory to {r.split(':')[0]}" for r in check.refractory]
        problems += [f"must not get {c.split(':')[0]}" for c in check.contraindicated]
        text = f"{check.name}: patient is {'; '.join(problems)}"
        lines += ["### Stop and check"] + [f"- Refractory: {r}" for r in check.refractory]
        lines += [f"- Contraindicated: {c}" for c in check.contraindicated] + [""]
    elif check.matches:
        best = min(
            check.matches,
            key=lambda m: ([t for t, _h in TIERS].index(m[1].tier), m[1].status != "recommended"),
        )
        where = sorted({r.guideline.id for r, o in check.matches if o.tier == best[1].tier})
        status = "" if best[1].status == "recommended" else " (conditional)"
        text = f"{check.name} is a {best[1].tier} option{status} in {', '.join(where)}"
        indicator = "info" if check.on_pathway else "warning"
    else:
        text = f"{check.name} is not among the options of {', '.join(r.guideline.id for r in applicable) or 'any guideline'}"
        indicator = "warning"
    cautions = [
        f"{c.text} ({r.guideline.id})" for r, o in check.matches for c in o.cautions if c.applies
    ]
    if check.intolerant:
        cautions += [f"recorded intolerance: {d}" for d in check.intolerant]
    if cautions and indicator == "info":
        indicator = "warning"
    lines += ["### By guideline"]
    for result in applicable:
        found = [o for r, o in check.matches if r is result]
        gone = [why for r, why in check.excluded if r is result]
        if found:
            o = found[0]
            lines.append(f"- {result.guideline.id}: **{o.tier}**, {o.status} — {o.rationale}")
        elif gone:
            lines.append(f"- {result.guideline.id}: not for this patient — {gone[0]}")
        else:
            lines.append(f"- {result.guideline.id}: not among its options")
    if cautions:
        lines += ["", "### Cautions"] + [f"- {c}" for c in cautions]
    suggestions: list[dict[str, Any]] = []
    chosen: dict[str, str] = {}
    preferred_match = any(
        o.tier == "preferred" and o.status == "recommended" for _r, o in check.matches
    )
    if not preferred_match:
        seen: set[str] = set()
        for result in applicable:
            for option in result.options:
                if (
                    option.kind == "regimen"
                    and option.tier == "preferred"
                    and option.status == "recommended"
                    and option.drugs
                    and option.id not in seen
                    and len(suggestions) < 3
                ):
                    seen.add(option.id)
                    sid = str(uuid.uuid4())
                    chosen[sid] = option.id
                    actions = [
                        {
                            "type": "delete",
                            "description": f"Remove the draft order {ref}",
                            "resourceId": ref,
                        }
                        for ref in check.selected
                    ]
                    actions += _create_actions(tuple(option.drugs), patient_id)
                    suggestions.append(
                        {
                            "label": summary(
                                f"Order {option.id} instead (preferred in {result.guideline.id})"
                            ),
                            "uuid": sid,
                            "isRecommended": not suggestions,
                            "actions": actions,
                        }
                    )
    lines += ["", "### Data from the EHR", *_ehr_lines(report)]
    first = applicable[0] if applicable else None
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary(text),
        "indicator": indicator,
        "detail": "\n".join(lines),
        "source": source(first, config)
        if first
        else {"label": "mmpath guideline packs", "url": config.url("/about#sources")},
        "links": links(config, audit_id),
        "overrideReasons": override_reasons(),
    }
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    return card, chosen
