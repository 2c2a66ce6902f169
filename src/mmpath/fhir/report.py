"""The import report: what was used, what was not and why, what was guessed.

Nothing is dropped silently: every resource of the input ends up in ``used`` or in
``unused`` (with a reason code), every value that is an inference rather than a copy is
in ``guesses``, and every record field that stays unknown because FHIR did not say is in
``absent`` with the reason. The report never repeats clinical values beyond what names
the resource (type/id, entry position), so it can be logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Reason = Literal[
    "unknown_code",  # no code mmpath reads (and no text it can resolve)
    "out_of_scope",  # a resource type or value mmpath does not use
    "ambiguous",  # it could mean more than one thing; a person must decide
    "invalid",  # not a valid FHIR R4 resource, or a value the record cannot hold
    "not_done",  # status says it did not happen (entered-in-error, not-done, ...)
    "missing_reference",  # it points at a resource that is not in the input
    "superseded",  # a newer value of the same single-valued field is used
]

#: Record fields (patient-record-v1) that FHIR import never fills: no FHIR R4 / mCODE
#: element carries them. The clinician adds them to the imported record.
NOT_FROM_FHIR: tuple[str, ...] = (
    "as_of",
    "region",
    "status",
    "frailty",
    "diagnosis.isotype",
    "cytogenetics.del_17p_fraction",
    "extramedullary",
    "treatments[].setting",
    "treatments[].line",
    "treatments[].cycles",
    "progressions[].features",
    "stem_cells",
    "mrd",
    "transplant_eligible",
    "donor_available",
    "asserted",
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a resource came from: ``Observation/abc`` and its place in the input."""

    reference: str  # "Type/id", or "Type at entry[3]" when it has no id
    where: str  # "entry[3]" (bundle) or "line 12" (NDJSON)

    def __str__(self) -> str:
        return f"{self.reference} ({self.where})"


@dataclass
class ImportReport:
    patient: str | None = None
    used: list[dict[str, str]] = field(default_factory=list)
    unused: list[dict[str, str]] = field(default_factory=list)
    guesses: list[dict[str, str]] = field(default_factory=list)
    absent: list[dict[str, str]] = field(default_factory=list)

    def use(self, source: Source, as_: str) -> None:
        self.used.append({"resource": source.reference, "where": source.where, "as": as_})

    def skip(self, source: Source, reason: Reason, detail: str) -> None:
        self.unused.append(
            {
                "resource": source.reference,
                "where": source.where,
                "reason": reason,
                "detail": detail,
            }
        )

    def guess(self, field_path: str, source: Source | None, detail: str) -> None:
        entry = {"field": field_path, "detail": detail}
        if source is not None:
            entry["resource"] = source.reference
        self.guesses.append(entry)

    def missing(self, field_path: str, detail: str) -> None:
        self.absent.append({"field": field_path, "detail": detail})

    def as_json(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "used": self.used,
            "unused": self.unused,
            "guesses": self.guesses,
            "absent": self.absent,
            "not_from_fhir": list(NOT_FROM_FHIR),
        }
