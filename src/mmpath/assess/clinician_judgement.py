"""Facts only the clinician can state: unknown unless asserted in the record.

Seed 001 reserves allogeneic SCT for "younger patients with (ultra-)high risk MM with a
first chemo-sensitive early relapse and a suitable donor". It defines neither "younger"
(no age is given) nor "chemo-sensitive" (whether the relapse responds to salvage therapy,
known only after re-induction). mmpath does not invent a threshold: these facts are
unknown until the clinician asserts them (``asserted`` in the record), so an option that
needs them is shown as conditional and says what would settle it. The one derivation:
seed 000's "aggressive disease" is false for a relapse the same protocol calls indolent.
Seed 001's watch and wait for an asymptomatic biochemical relapse is "justified", so treating
such a relapse now is the clinician's call too (``treat_biochemical_relapse``, review r62-05,
r63-05, r54-06).
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact

NOT_DERIVED = "not derived (the source gives no definition): assert it in the record"


@fact(
    "younger_patient",
    definition="seed 001 'younger patients' (allogeneic SCT); no age threshold in the source, "
    "so only the clinician's assertion counts",
    needs=("asserted",),
)
def younger_patient(a: Assessment) -> tuple[Value, str]:
    return None, NOT_DERIVED


@fact(
    "chemosensitive_relapse",
    definition="seed 001 'chemo-sensitive' relapse: the relapse responds to salvage therapy; "
    "known only after re-induction, so only the clinician's assertion counts",
    needs=("asserted",),
)
def chemosensitive_relapse(a: Assessment) -> tuple[Value, str]:
    return None, NOT_DERIVED


@fact(
    "aggressive_disease",
    definition="seed 000 'Ontwikkeling van agressieve/extramedullaire ziekte in de loop van de "
    "behandeling': the section does not define aggressive disease, so it is the clinician's "
    "assertion; derived only as false for a relapse the protocol itself calls indolent ('Bij "
    "een indolent biochemisch recidief': biochemical, no item of its aggressive-relapse list). "
    "The aggressive-relapse list (fact aggressive_relapse) serves the choice between a doublet "
    "and a triplet, so it does not make the disease 'aggressive' here",
    needs=("asserted", "progressions", "labs", "cytogenetics"),
)
def aggressive_disease(a: Assessment) -> tuple[Value, str]:
    indolent = a.get("indolent_relapse")
    if indolent.value is True:
        return False, f"indolent biochemical relapse (seed 000's own contrast): {indolent.why}"
    return None, NOT_DERIVED


@fact(
    "unfit",
    definition="seed 002 'unfit' ('doublet therapy is preferred for unfit or frail patients'): "
    "the abstract does not define it; frailty (score ≥ 2) is the fact frail, and whether an "
    "intermediate-fit patient (IMWG or simplified score 1) is 'unfit' is only the clinician's "
    "assertion",
    needs=("asserted",),
)
def unfit(a: Assessment) -> tuple[Value, str]:
    return None, NOT_DERIVED


@fact(
    "treat_biochemical_relapse",
    definition="seed 001: for an asymptomatic biochemical relapse 'a watch and wait approach "
    "is justified with regular follow-up' — justified, not required: whether to treat such a "
    "relapse now anyway is the clinician's decision, so only the clinician's assertion counts "
    "(a clinical relapse or a rapid rise is treated without it)",
    needs=("asserted",),
)
def treat_biochemical_relapse(a: Assessment) -> tuple[Value, str]:
    return None, NOT_DERIVED


@fact(
    "second_line_sections_apply",
    definition="seed 000 after two or more lines in a patient not refractory to both "
    "bortezomib and lenalidomide: the sections chosen by refractoriness ('Recidief tijdens "
    "behandeling met lenalidomide (lenalidomide refractair)', 'Recidief of progressie na een "
    "op bortezomib gebaseerde behandeling (niet lenalidomide refractair)') name no line, and "
    "the section chosen by the line count ('Therapie na tweedelijnsbehandeling (over het "
    "algemeen refractair voor bortezomib én lenalidomide)') describes its usual patient as "
    "double-refractory; whether the first two also apply to this patient the protocol does "
    "not say, so only the clinician's reading counts (independent review r57-05, r70-01, "
    "r70-04)",
    needs=("asserted",),
)
def second_line_sections_apply(a: Assessment) -> tuple[Value, str]:
    return None, NOT_DERIVED
