"""Plain patient facts read from the record: age, ECOG, region, comorbidities."""

from __future__ import annotations

from typing import get_args

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Derivation, FactSpec, Value, fact, register
from mmpath.record.model import Comorbidity

COMORBIDITIES: tuple[str, ...] = get_args(Comorbidity)


@fact(
    "age",
    definition="age in whole years at the decision date",
    needs=("birth_date", "age"),
    kind="number",
)
def age(a: Assessment) -> tuple[Value, str]:
    if a.age is None:
        return None, "neither birth_date nor age recorded"
    source = "from birth_date" if a.record.birth_date else "recorded age"
    return a.age, f"{a.age} years ({source})"


@fact("ecog", definition="ECOG performance status 0–4 (Oken 1982)", needs=("ecog",), kind="number")
def ecog(a: Assessment) -> tuple[Value, str]:
    e = a.record.ecog
    return e, "not recorded" if e is None else f"ECOG {e}"


@fact(
    "region",
    definition="where the patient is treated (selects registration and reimbursement notes)",
    needs=("region",),
    kind="string",
)
def region(a: Assessment) -> tuple[Value, str]:
    r = a.record.region
    return r, "not recorded" if r is None else f"region {r}"


@fact("donor_available", definition="an allogeneic donor is available", needs=("donor_available",))
def donor_available(a: Assessment) -> tuple[Value, str]:
    d = a.record.donor_available
    return d, "not recorded" if d is None else (
        "recorded: donor available" if d else "recorded: no donor available"
    )


def comorbidity(a: Assessment, code: str) -> tuple[Value, str]:
    listed = a.record.comorbidities
    if listed is None:
        return None, "comorbidities not recorded"
    if code in listed:
        return True, f"comorbidity recorded: {code}"
    return False, f"not among the recorded comorbidities ({', '.join(listed) or 'none'})"


def _recorded(code: str) -> Derivation:
    return lambda a: comorbidity(a, code)


for _code in COMORBIDITIES:
    register(
        FactSpec(
            _code,
            _recorded(_code),
            f"comorbidity '{_code}' in the record's comorbidity list (patient-record-v1)",
            ("comorbidities",),
        )
    )
