"""The CDS Hooks request body (CDS Hooks 2.0 "Calling a CDS Service"), validated.

A body that does not fit is a 400 naming the field (cds-r-1: ``fhirAuthorization``
needs ``fhirServer``; ``token_type`` is ``Bearer``; ``hookInstance`` is a UUID).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mmpath.cds.errors import CdsError
from mmpath.record.errors import path_of


class FhirAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")

    access_token: str = Field(min_length=1, max_length=10_000)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class HookRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    hook: str
    hookInstance: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_token(self) -> HookRequest:
        if self.fhirAuthorization is not None and not self.fhirServer:
            raise ValueError("cds-r-1: fhirAuthorization is given, so fhirServer is required")
        return self

    @property
    def patient_id(self) -> str:
        value = self.context.get("patientId")
        if not isinstance(value, str) or not value:
            raise CdsError(
                400,
                "context.patientId is required",
                code="required",
                expression=["context.patientId"],
            )
        return value


class AcceptedSuggestion(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str


class Coding(BaseModel):
    model_config = ConfigDict(extra="allow")
    system: str | None = None
    code: str | None = None
    display: str | None = None


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="allow")
    reason: Coding | None = None
    userComment: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_or_comment(self) -> OverrideReason:
        if self.reason is None and self.userComment is None:
            raise ValueError("cds-fb-3: an overrideReason needs a reason, a userComment, or both")
        return self


class Feedback(BaseModel):
    model_config = ConfigDict(extra="allow")
    card: str = Field(min_length=1, max_length=100)
    outcome: Literal["accepted", "overridden"]  # cds-fb-1
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str

    @model_validator(mode="after")
    def _accepted_has_suggestions(self) -> Feedback:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("cds-fb-2: an accepted outcome needs acceptedSuggestions")
        return self


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    feedback: list[Feedback] = Field(max_length=100)


def parse(model: type[BaseModel], data: Any) -> Any:
    """``model`` from ``data``, or a 400 naming the first problems by field path."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{path_of(tuple(e['loc'])) or '(body)'}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors(include_url=False)[:5]
        ]
        raise CdsError(
            400,
            "; ".join(problems),
            code="invalid",
            expression=[path_of(tuple(e["loc"])) for e in error.errors()[:5]],
        ) from None
