"""The shapes of the ``/api/v1`` responses, as published in the OpenAPI document.

These models only *document* the JSON the routes return (``responses={200: {"model":
...}}``); the routes build their answers themselves. tests/api/test_schemathesis.py checks
every response against these declarations (schemathesis' response-conformance checks),
so the document and the answers cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mmpath.recommendation import RecommendationOut


class ProblemOut(BaseModel):
    path: str = Field(description="the field, e.g. `labs[0].unit` (empty: the whole body)")
    message: str


class ErrorOut(BaseModel):
    """Every error response: what is wrong, and for invalid input every problem by field."""

    detail: str
    problems: list[ProblemOut] = Field(
        default_factory=list, description="invalid input: each problem by field path"
    )
    known: list[str] | None = Field(
        default=None, description="unknown guideline (404): the guideline ids known"
    )


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class PackVersionOut(BaseModel):
    id: str
    version: str


class VersionOut(BaseModel):
    mmpath: str
    record_schema: str
    recommendation_schema: str
    packs: list[PackVersionOut]


class GuidelinePackOut(BaseModel):
    id: str
    version: str
    title: str
    organisation: str | None
    language: str
    languages: list[str]
    source_document: str
    published: str | None
    source_limitations: list[str]
    rules: int
    quotes: int


class ValidationOut(BaseModel):
    valid: bool
    problems: list[ProblemOut]


class DecisionOut(BaseModel):
    """A decision recorded for an audited recommendation (recommendation-v1 1.1)."""

    option_id: str | None
    regimen: str | None
    pathway: Literal["on", "off"]
    reason: str | None
    reason_text: str | None
    by: str | None
    at: str = Field(json_schema_extra={"format": "date-time"})
    source: str
    card: str | None


class DecisionIn(BaseModel):
    """The body of ``POST /audit/{audit_id}/decision`` (checked by mmpath.api.decision)."""

    option_id: str | None = Field(default=None, description="an option id of the answer")
    regimen: str | None = Field(default=None, description="another regimen (free text)")
    pathway: Literal["on", "off"]
    reason: (
        Literal[
            "toxicity_comorbidity",
            "prior_treatment",
            "patient_preference",
            "clinical_trial",
            "documented_rationale",
            "other",
        ]
        | None
    ) = Field(default=None, description="required for an off-pathway decision")
    reason_text: str | None = Field(default=None, max_length=2000)
    by: str | None = Field(default=None, max_length=2000)
    at: str | None = Field(default=None, description="YYYY-MM-DD or ISO 8601 date-time")

    model_config = {"extra": "forbid"}


class PatientSummaryOut(BaseModel):
    id: str = Field(pattern="^[0-9a-f]{32}$")
    label: str | None = Field(description="the record's `id`, if it has one")
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})


class PatientListItemOut(PatientSummaryOut):
    last_audit_id: int | None
    applicable: list[str]
    decision: DecisionOut | None


class PatientOut(PatientSummaryOut):
    record: dict[str, Any] = Field(description="the saved patient record (PatientRecord)")


class PatientVersionOut(BaseModel):
    version: int
    saved_at: str = Field(json_schema_extra={"format": "date-time"})
    record: dict[str, Any]


class AuditSummaryOut(BaseModel):
    id: int
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    action: str
    actor: str | None
    source: str
    saved_patient_id: str | None
    input_digest: str | None
    guideline: str | None
    packs: list[dict[str, str]]
    mmpath_version: str
    output_digest: str | None
    detail: str | None
    row_hash: str


class AuditListItemOut(AuditSummaryOut):
    decision: DecisionOut | None


class AuditListOut(BaseModel):
    total: int
    entries: list[AuditListItemOut]


class AuditEntryOut(AuditSummaryOut):
    prev_hash: str
    record: dict[str, Any] | None = Field(
        description="the record as submitted; null for an access event or when pruned"
    )
    output: RecommendationOut | None = Field(
        description="the answer as returned; null for an access event or when pruned"
    )
    decision: DecisionOut | None
    decisions: list[DecisionOut]


class FhirReportOut(BaseModel):
    patient: Any
    used: Any
    unused: Any
    guesses: Any
    absent: Any
    not_from_fhir: list[str]


class FhirImportOut(BaseModel):
    """One patient (a Bundle): the record and what was and was not used."""

    record: dict[str, Any] | None
    report: FhirReportOut
    problems: list[ProblemOut] = Field(default_factory=list)


class FhirImportManyOut(BaseModel):
    """NDJSON: one import per patient."""

    patients: list[FhirImportOut]
