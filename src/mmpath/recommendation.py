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
Provenance = Literal["guideline", "label", "mmpath_rule"]


class CautionOut(_Out):
    """A caution or dose note (recommendation-v1; ``severity``, ``provenance`` and ``source``
    from the 1.1 additions: ``guideline`` = the pack's own words (``sources``), ``label`` = a
    product label (``source`` names which label, region, version and setting),
    ``mmpath_rule`` = mmpath's general safety rule (``source`` names it))."""

    id: str
    text: str
    applies: bool | None  # None: the condition is unknown for this patient
    requires: list[str] = []
    sources: list[SourceOut] = []
    severity: Severity | None = None
    provenance: Provenance | None = None
    source: str | None = None


class AvailabilityOut(_Out):
    text: str
    status: str | None = None
    sources: list[SourceOut] = []


class OptionOut(_Out):
    id: str
    kind: Literal["regimen", "procedure", "referral", "observation", "supportive"]
    name: str
    drugs: list[str] | None = None
    procedure: str | None = None
    tier: Literal["preferred", "alternative", "consider"]
    status: Literal["recommended", "conditional"]
    phase: str | None = None
    requires: list[str] = []
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
    sources: list[SourceOut] = []
    provenance: Provenance | None = None


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
    fired: list[str] = []  # rule:, constraint:, caution:, note: ids that were true or unknown


class ComparisonCellOut(_Out):
    """What one guideline says about one option (``mmpath.compare``)."""

    guideline: str
    state: Literal["option", "excluded", "not_mentioned", "not_applicable"]
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
