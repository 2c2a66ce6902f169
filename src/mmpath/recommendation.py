"""The recommendation output, version 1 (shared/spec/recommendation-v1.md).

Field names are the contract's and must not change; fields may be added. Everything is
ordered deterministically: the same record and pack versions give identical JSON.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from mmpath.assess.fact import Value


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceOut(_Out):
    document: str
    section: str
    quote: str
    english: str
    grade: str | None = None


class FactOut(_Out):
    value: Value
    asserted: bool
    why: str
    definition: str
    warnings: list[str] = []  # inconsistencies in the record that bear on this fact


Severity = Literal["contraindicating", "dose", "monitoring", "information"]
SEVERITY_RANK: dict[str, int] = {
    "contraindicating": 0,
    "dose": 1,
    "monitoring": 2,
    "information": 3,
}
Provenance = Literal["guideline", "label", "mmpath_rule"]


class CautionOut(_Out):
    """A patient-specific caution or dose note (spec 1.1: ``severity``, ``provenance``).

    ``provenance``: ``guideline`` (the guideline's own words, in ``sources``), ``label`` (a
    product label: ``source`` names which label, region, version and setting) or
    ``mmpath_rule`` (mmpath's general safety rule: ``source`` names it)."""

    id: str
    text: str
    applies: bool | None  # None: the condition is unknown for this patient
    requires: list[str] = []
    severity: Severity = "information"
    provenance: Provenance | None = None
    source: str | None = None
    sources: list[SourceOut] = []


class AvailabilityOut(_Out):
    text: str
    status: str | None = None
    sources: list[SourceOut] = []


class TierIfOut(_Out):
    """A better tier that a rule gives the option only if something still unknown turns out
    so; the option is shown at the tier the rules give it now."""

    tier: Literal["preferred", "alternative", "consider"]
    requires: list[str]
    applies_if: str
    """what would have to hold, in words (as ``OptionOut.applies_if``)"""


class OptionOut(_Out):
    id: str
    kind: Literal["regimen", "procedure", "referral", "observation", "supportive"]
    name: str
    drugs: list[str] | None = None
    procedure: str | None = None
    tier: Literal["preferred", "alternative", "consider"]
    status: Literal["recommended", "conditional"]
    listed_tier: Literal["preferred", "alternative", "consider"] | None = None
    """the guideline's own tier when mmpath shows the option lower (refractoriness)"""
    tier_if: TierIfOut | None = None
    """recommended options: the better tier another rule gives only if ``requires`` turn out
    so (e.g. D-R "consider" when MRD-positive, "preferred" if high risk)"""
    phase: str | None = None
    requires: list[str] = []
    applies_if: str | None = None
    """conditional options: the part of their condition that is still unknown, in words"""
    basis: Literal["named", "principle"] = "named"
    """named by the source, or a catalogue regimen fitting a principle the source states"""
    rationale: str
    rules: list[str] = []
    grade: str | None = None
    details: str | None = None
    current_step: bool = False
    sources: list[SourceOut]
    cautions: list[CautionOut] = []
    dosing: list[CautionOut] = []
    availability: list[AvailabilityOut] = []


class ExcludedOut(_Out):
    id: str
    kind: str = "regimen"
    name: str | None = None
    drugs: list[str] | None = None
    reason: str
    by: str | None = None  # what excluded it: "rule:<id>", "constraint:<id>", "contraindication"
    provenance: Provenance | None = None
    source: str | None = None  # the label or the mmpath rule, when not the guideline
    sources: list[SourceOut] = []
    indication_not_stated: bool = False
    """the source lists the option without an indication; not offered, and not a position the
    guideline takes against it (the comparison counts it as silence)"""


class NearestOut(_Out):
    """What the source offers nearest when a branch leaves the patient no regimen."""

    id: str
    name: str | None = None
    drugs: list[str] | None = None
    why_not: str


class EmptyBranchOut(_Out):
    """The guideline applies but its branch leaves this patient no regimen (spec 1.1)."""

    branch: str
    why: str
    nearest: list[NearestOut] = []


class MissingOut(_Out):
    fact: str
    needs: list[str]
    affects: list[str]
    why: str = ""


class NoteOut(_Out):
    id: str
    text: str
    applies: bool | None
    requires: list[str] = []
    sources: list[SourceOut] = []


class GuidelineOut(_Out):
    id: str
    title: str
    version: str
    source_document: str
    language: str
    organisation: str | None = None
    source_limitations: list[str] = []


class PathwayStepOut(_Out):
    phase: str
    status: Literal["done", "current", "upcoming", "not_applicable"]
    why: str = ""


class ResultOut(_Out):
    guideline: GuidelineOut
    applicable: bool | None
    applicability: str
    facts: dict[str, FactOut]
    options: list[OptionOut]
    excluded: list[ExcludedOut]
    missing: list[MissingOut]
    notes: list[str]
    annotations: list[NoteOut] = []
    pathway: list[PathwayStepOut] | None = None
    empty_branch: EmptyBranchOut | None = None
    fired: list[str] = []  # rule:, constraint:, caution:, note: ids that were true or unknown


class ComparisonCellOut(_Out):
    """What one guideline says about one option (``mmpath.compare``), and where that position
    comes from (``basis``): the guideline's own words, mmpath's general safety rule, a
    principle the source states (no regimen named), or the source's silence."""

    guideline: str
    state: Literal["option", "excluded", "not_mentioned", "not_applicable"]
    basis: Literal["guideline", "mmpath_rule", "principle", "silent", "not_applicable"] = (
        "guideline"
    )
    tier: Literal["preferred", "alternative", "consider"] | None = None
    status: Literal["recommended", "conditional"] | None = None
    reason: str | None = None
    text: str  # "preferred", "consider?" (conditional), "excluded: reason", "" or "n/a"


class ComparisonRowOut(_Out):
    id: str
    kind: str
    name: str | None = None
    drugs: list[str] | None = None
    cells: list[ComparisonCellOut]


class ComparisonColumnOut(_Out):
    guideline: str
    applicable: bool | None


class ComparisonStatementOut(_Out):
    kind: Literal["agree", "differ", "only", "note"]
    text: str
    options: list[str]
    guidelines: list[str]


class ComparisonOut(_Out):
    """Side by side: rows are options, columns are guidelines (only with 2+ results)."""

    columns: list[ComparisonColumnOut]
    rows: list[ComparisonRowOut]
    statements: list[ComparisonStatementOut]


class SummaryItemOut(_Out):
    """One item of the decision summary (recommendation 1.1 ``summary``)."""

    value: Value | list[str]
    why: str
    warnings: list[str] = []


class RecommendationOut(_Out):
    schema_version: Literal["1"] = "1"
    patient_id: str | None
    as_of: str
    mmpath_version: str
    summary: dict[str, SummaryItemOut] = {}  # the decision summary, once per record (1.1)
    results: list[ResultOut]
    comparison: ComparisonOut | None = None  # with more than one result
