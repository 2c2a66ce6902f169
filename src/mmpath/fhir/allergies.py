"""AllergyIntolerance (category medication) as contraindications and intolerances.

A drug allergy (``type`` allergy) means the drug must not be given: a record
``contraindication``. A drug intolerance (``type`` intolerance) is a record
``intolerance``. Without a type it is ``ambiguous``. Refuted, entered-in-error,
unconfirmed, inactive and resolved entries are not used. The drug is resolved as in
:mod:`mmpath.fhir.medications`.
"""

from __future__ import annotations

from mmpath.fhir.context import Context
from mmpath.fhir.medications import DrugProblem, resolve_drugs
from mmpath.fhir.read import Resource
from mmpath.fhir.values import codings


def _code(concept: object) -> str | None:
    found = [c.code for c in codings(concept) if c.code]
    return found[0] if found else None


def read_allergy(ctx: Context, resource: Resource) -> tuple[str, list[str]] | None:
    """``("contraindications" | "intolerances", [inn, ...])`` or None (reported)."""
    model = resource.model
    verification = _code(model.verificationStatus)
    if verification in ("refuted", "entered-in-error", "unconfirmed"):
        ctx.report.skip(resource.source, "not_done", f"verificationStatus {verification}")
        return None
    clinical = _code(model.clinicalStatus)
    if clinical in ("inactive", "resolved"):
        ctx.report.skip(resource.source, "out_of_scope", f"clinicalStatus {clinical}")
        return None
    try:
        drugs = resolve_drugs(ctx, [model.code] if model.code is not None else [])
    except DrugProblem as problem:
        ctx.report.skip(resource.source, problem.reason, problem.detail)  # type: ignore[arg-type]
        return None
    if model.type == "allergy":
        field = "contraindications"
    elif model.type == "intolerance":
        field = "intolerances"
    else:
        ctx.report.skip(resource.source, "ambiguous", "neither type allergy nor intolerance")
        return None
    ctx.report.use(resource.source, f"{field} ({', '.join(drugs)})")
    return field, list(drugs)
