"""What was given at first relapse (seed 001, Figure 1 footnotes 2–4).

The footnotes of seed 001's lost Figure 1 restrict options at later relapses by what was
given at first relapse: "only for patients not yet treated with Kd at first relapse",
"... with Kd/DVd at first relapse", "only for patients not having received an Rd-based
triplet at first relapse".

Treatment at first relapse = the courses of the second line of therapy (line numbering:
``timeline``; IMWG convention, induction + ASCT + consolidation + maintenance are line 1).
A regimen matches by its drug set: Kd = carfilzomib + dexamethasone; DVd = daratumumab +
bortezomib + dexamethasone; an Rd-based triplet is one of the four the seed names (KRd,
IRd, DRd, ERd: lenalidomide + dexamethasone + carfilzomib, ixazomib, daratumumab or
elotuzumab). Before any second line (at most one prior line) nothing was given at first
relapse yet: the facts are false.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact

FIRST_RELAPSE_LINE = 2
KD = frozenset({"carfilzomib", "dexamethasone"})
DVD = frozenset({"daratumumab", "bortezomib", "dexamethasone"})
RD = frozenset({"lenalidomide", "dexamethasone"})
RD_TRIPLET_THIRD_DRUGS = ("carfilzomib", "ixazomib", "daratumumab", "elotuzumab")
RD_TRIPLETS = tuple(RD | {d} for d in RD_TRIPLET_THIRD_DRUGS)
NEEDS = ("treatments",)


def given_at_first_relapse(
    a: Assessment, wanted: tuple[frozenset[str], ...], label: str
) -> tuple[Value, str]:
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    courses = [c for c in a.courses if c.line == FIRST_RELAPSE_LINE]
    if not courses:
        return False, "no second line recorded: first relapse not yet treated"
    hits = [c for c in courses if frozenset(c.drugs) in wanted]
    if hits:
        return True, f"given at first relapse (line 2): {hits[0].label()}"
    shown = ", ".join(c.label() for c in courses)
    return False, f"first-relapse treatment (line 2) was {shown}, not {label}"


@fact(
    "kd_at_first_relapse",
    definition="Kd (carfilzomib + dexamethasone) was the treatment of the second line "
    "(seed 001, Figure 1 footnotes 2 and 3)",
    needs=NEEDS,
)
def kd_at_first_relapse(a: Assessment) -> tuple[Value, str]:
    return given_at_first_relapse(a, (KD,), "Kd")


@fact(
    "dvd_at_first_relapse",
    definition="DVd (daratumumab + bortezomib + dexamethasone) was the treatment of the second "
    "line (seed 001, Figure 1 footnote 3)",
    needs=NEEDS,
)
def dvd_at_first_relapse(a: Assessment) -> tuple[Value, str]:
    return given_at_first_relapse(a, (DVD,), "DVd")


@fact(
    "rd_triplet_at_first_relapse",
    definition="an Rd-based triplet (KRd, IRd, DRd or ERd) was the treatment of the second "
    "line (seed 001, Figure 1 footnote 4)",
    needs=NEEDS,
)
def rd_triplet_at_first_relapse(a: Assessment) -> tuple[Value, str]:
    return given_at_first_relapse(a, RD_TRIPLETS, "an Rd-based triplet (KRd, IRd, DRd, ERd)")
