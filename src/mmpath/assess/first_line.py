"""Where a newly diagnosed, transplant-eligible patient stands on the first-line pathway.

The pathway (seed 003, DMSG v2.0, introduction): "Standardbehandlingen omfatter
induktionsbehandling, leukaferese, højdosis kemoterapi med stamcellestøtte (HDT), evt.
konsoliderende behandling og vedligeholdelses behandling" — induction, leukapheresis
(stem-cell mobilisation and collection), HDT/ASCT, optional consolidation, maintenance.

Reading of the record (all first-line courses, i.e. line 1):
- induction courses: ``setting: induction``, or no setting and started before the first ASCT
  (the record's own ``setting`` is what the clinician wrote and is kept as written; only a
  course without one is placed by its date);
- stem cells collected: a ``stem_cell_collection`` procedure;
- HDT done: an ``autologous_sct`` procedure (its ``best_response_after`` is the response);
- consolidation: ``setting: consolidation`` after the first ASCT;
- maintenance: ``setting: maintenance``;
- a course after the first ASCT without a ``setting`` (``post_asct_role``): consolidation
  when it repeats an induction regimen (seed 003: "op til 2 konsolideringsserier med samme
  regime" — consolidation is the induction regimen again), maintenance otherwise (the
  reduced regimen that follows: lenalidomide, daratumumab - lenalidomide, ...);
- a maintenance agent alone without a ``setting`` after an induction that ended, with no
  ASCT: maintenance (recommendation 8's route instead of HDT), except while collected stem
  cells wait for an HDT that route did not replace (``bridge_to_hdt``).

``pathway_phase`` is the phase the patient is in now, or is due next when between phases:
``none`` (no treatment yet), ``induction`` (an induction course is under way),
``mobilisation`` (induction finished, no stem cells collected), ``transplant`` (stem cells
collected, no ASCT), ``consolidation`` (ASCT given, neither consolidation finished nor
maintenance started), ``maintenance`` (consolidation finished or maintenance started).
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact
from mmpath.assess.timeline import RESPONSE_RANK, Course, elapsed, maintenance_agent, months_after
from mmpath.record.model import Procedure

CR = RESPONSE_RANK["CR"]
INDUCTION_CYCLES = 4
"""Seed 003, recommendations 2, 6 and 8: induction 'i fire serier'."""
ISA_RVD_LISTED_CYCLES = 3
"""Seed 003, first-choice list: 'Isa-RVd ... – 3 induktionsserier' (GMMG-HD7)."""


def procedures_of(a: Assessment, kind: str) -> list[Procedure]:
    return sorted((p for p in a.record.procedures or [] if p.type == kind), key=lambda p: p.date)


def induction_courses(a: Assessment) -> list[Course]:
    """First-line courses with ``setting: induction``, or with no setting and started before
    the first ASCT. With procedures not recorded, whether a course without a setting came before an ASCT
    is unknown: only the first course of line 1 then counts without a setting."""
    ascts = procedures_of(a, "autologous_sct")
    before = ascts[0].date if ascts else None
    first_line = [c for c in a.courses if c.line == 1]
    found = [
        c
        for c in first_line
        if c.setting == "induction"
        or (
            c.setting is None
            and (before is None or c.start < before)
            and not (before is None and _after_induction_alone(a, c))
        )
    ]
    if a.record.procedures is None:
        found = [c for c in found if c.setting == "induction" or c is first_line[0]]
    return found


def induction_undecided(a: Assessment) -> bool:
    """Procedures not recorded and a later first-line course without a setting: it may be
    induction (before an ASCT) or not (after one)."""
    first_line = [c for c in a.courses if c.line == 1]
    return a.record.procedures is None and any(c.setting is None for c in first_line[1:])


def post_asct_role(a: Assessment, course: Course) -> str | None:
    """The course's ``setting``, or for a first-line course after the first ASCT without
    one: ``consolidation`` when its drugs are an induction course's, else ``maintenance``
    (module docstring). None before an ASCT or with procedures not recorded."""
    if course.setting is not None:
        return course.setting
    ascts = procedures_of(a, "autologous_sct")
    if course.line == 1 and not ascts and _after_induction_alone(a, course):
        # a single maintenance agent after an induction that ended: maintenance, whether an
        # ASCT came between (procedures left out: review/dk-ndmm-te/99) or none was given
        # (recommendation 8's extra cycles instead of HDT, then maintenance: review r26-14);
        # but not while stored stem cells wait for an HDT that recommendation 8's route did
        # not replace (a bridge: review r71-05)
        return None if bridge_to_hdt(a) is not None else "maintenance"
    if course.line != 1 or not ascts or course.start <= ascts[0].date:
        return None
    drugs = a.catalogue.anti_myeloma_drugs(course.drugs)
    induction = {a.catalogue.anti_myeloma_drugs(c.drugs) for c in induction_courses(a)}
    return "consolidation" if drugs in induction else "maintenance"


REC8_EXTRA_CYCLES = 4
"""Seed 003, recommendation 8: "Yderligere 4–6 serier med induktionsregimet efterfulgt af
vedligeholdelsesbehandling repræsenterer et ligeværdigt alternativ til HDT" — the fewest
further cycles of the induction regimen on the route that replaces HDT."""


def bridge_to_hdt(a: Assessment) -> str | None:
    """Why a maintenance agent alone (no ``setting``) after an induction that ended, with no
    ASCT, is a bridge to HDT rather than maintenance, or None.

    Seed 003 gives maintenance without HDT only on recommendation 8's route: "Yderligere 4–6
    serier med induktionsregimet efterfulgt af vedligeholdelsesbehandling repræsenterer et
    ligeværdigt alternativ til HDT" (after the 4 induction cycles). With stem cells collected
    (and not recorded as too few) and fewer induction cycles than 4 + 4 recorded, that route
    was not taken, so HDT/ASCT is still the next step (review r71-05: HDT deferred a year on
    lenalidomide). Unknown cycles, no collection or procedures not recorded keep the reading
    as maintenance (review/dk-ndmm-te/99, r26-14); a course the record calls maintenance is
    maintenance."""
    if a.record.procedures is None or procedures_of(a, "autologous_sct"):
        return None
    collections = procedures_of(a, "stem_cell_collection")
    if not collections or a.value("stem_cell_collection_failed") is True:
        return None
    cycles = a.value("induction_cycles")
    if not isinstance(cycles, int | float) or cycles >= INDUCTION_CYCLES + REC8_EXTRA_CYCLES:
        return None
    return (
        f"stem cells collected on {collections[-1].date} and {cycles:g} induction cycle(s): "
        "not recommendation 8's route (4-6 further cycles of the induction regimen instead of "
        "HDT), so a maintenance agent without a setting before any ASCT is read as a bridge "
        "to HDT (record its setting as maintenance if HDT was set aside)"
    )


def _after_induction_alone(a: Assessment, course: Course) -> bool:
    """``course`` is one maintenance agent alone (``timeline.MAINTENANCE_DRUGS``) started
    after an induction course of its line had ended."""
    if not maintenance_agent(a.catalogue.anti_myeloma_drugs(course.drugs)):
        return False
    return any(
        c.setting == "induction" and c.end is not None and c.end < course.start
        for c in a.courses
        if c.line == course.line
    )


def _regimen_id(a: Assessment, course: Course) -> str:
    regimen = a.catalogue.regimen(course.regimen) or a.catalogue.regimen_for_drugs(course.drugs)
    return regimen.id if regimen is not None else course.regimen


@fact(
    "stem_cell_collection_failed",
    definition="the record says a stem-cell collection fell short: a collection is recorded and "
    "the record's stem_cells give too few for an ASCT (stem_cells_sufficient false). HDT needs "
    "its graft (seed 003 'højdosis melphalan med stamcellestøtte'); the seed gives no rule for "
    "a failed mobilisation. A collection without stem_cells is read as not failed: a shortfall "
    "is recorded when it happens, and registry extracts carry no graft counts",
    needs=("procedures", "stem_cells"),
)
def stem_cell_collection_failed(a: Assessment) -> tuple[Value, str]:
    if a.record.procedures is None:
        return None, "procedures not recorded"
    collections = procedures_of(a, "stem_cell_collection")
    if not collections:
        return False, "no stem-cell collection recorded yet"
    enough = a.get("stem_cells_sufficient")
    if enough.value is None:
        return False, (
            f"stem cells collected on {collections[-1].date}; no shortfall recorded "
            "(stem_cells not given: record them if the collection fell short)"
        )
    return not enough.value, f"stem cells collected on {collections[-1].date}; {enough.why}"


@fact(
    "anti_cd38_contraindicated",
    definition="the record lists an anti-CD38 antibody (the class anti_cd38, daratumumab or "
    "isatuximab) among the contraindications (seed 003: 'Alternativ ved kontraindikation for "
    "CD38-antistof'; the seed does not define the contraindication itself)",
    needs=("contraindications",),
)
def anti_cd38_contraindicated(a: Assessment) -> tuple[Value, str]:
    if a.record.contraindications is None:
        return None, "contraindications not recorded"
    reasons = [r for r in (a.contraindicated(d) for d in ("daratumumab", "isatuximab")) if r]
    if reasons:
        return True, "; ".join(reasons)
    listed = ", ".join(a.record.contraindications) or "none"
    return False, f"no anti-CD38 antibody among the contraindications ({listed})"


@fact(
    "lenalidomide_intolerant",
    definition="lenalidomide not tolerated: listed in the record's intolerances, or a "
    "lenalidomide course stopped for toxicity after which lenalidomide was not given again "
    "(seed 003: 'patienter, der ikke tåler lenalidomid')",
    needs=("intolerances", "treatments"),
)
def lenalidomide_intolerant(a: Assessment) -> tuple[Value, str]:
    if a.intolerant("lenalidomide"):
        return True, "lenalidomide listed among the intolerances"
    given = a.exposed_to("lenalidomide")
    # a course after which lenalidomide was given again (D-VRd stopped for neuropathy, then
    # D-Rd) stopped for another drug of the combination: the patient took lenalidomide on
    # (review/dk-ndmm-te/30, found by settling its unknown intolerances)
    again = {c.index for c in given if any(later.start > c.start for later in given)}
    courses = [c for c in given if c.index not in again]
    toxic = [c for c in courses if c.stop_reason == "toxicity"]
    # a combination stopped for toxicity that the record pins on another of its drugs (listed
    # among the intolerances) says nothing against lenalidomide (review/dk-ndmm-te/92:
    # anaphylaxis to daratumumab on D-VRd)
    explained = {
        c.index: others
        for c in toxic
        if (others := [d for d in c.drugs if d != "lenalidomide" and a.intolerant(d)])
    }
    stopped = [c for c in toxic if c.index not in explained]
    if stopped:
        return True, f"stopped for toxicity: {stopped[0].label()}"
    if a.record.intolerances is not None:
        causes = "; ".join(
            f"{c.label()} stopped for toxicity, read as {', '.join(explained[c.index])} "
            "(listed among the intolerances)"
            for c in toxic
        )
        return False, "lenalidomide not among the intolerances" + (f"; {causes}" if causes else "")
    # Intolerances not recorded: the treatment history still shows whether a lenalidomide
    # course had to stop for toxicity (seed 003 'ikke tåler' read as: had to stop it).
    if a.record.treatments is None:
        return None, "intolerances and treatment history not recorded"
    unexplained = [c for c in courses if c.end is not None and c.stop_reason is None]
    if unexplained:
        return None, (
            f"intolerances not recorded and why {unexplained[0].label()} stopped is not recorded"
        )
    if courses:
        resumed = [c.label() for c in given if c.index in again]
        return False, (
            "intolerances not recorded; no lenalidomide course stopped for toxicity ("
            + ", ".join(c.label() for c in courses)
            + ")"
            + (f"; lenalidomide given again after {', '.join(resumed)}" if resumed else "")
        )
    return False, "intolerances not recorded; lenalidomide not given yet, so none shown"


@fact(
    "induction_interrupted",
    definition="the latest first-line induction course was stopped for toxicity before the "
    "induction was complete (fewer than four cycles: seed 003 gives induction 'i fire "
    "serier'): induction goes on with another regimen, not to mobilisation",
    needs=("treatments",),
)
def induction_interrupted(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        if procedures_of(a, "autologous_sct"):
            return False, "treatment history not recorded, but an ASCT is: induction is over"
        return None, "treatment history not recorded"
    first_line = [c for c in a.courses if c.line == 1]
    # procedures not recorded: a later first-line course without a setting may be induction
    undecided = (
        [c for c in first_line[1:] if c.setting is None and c.stop_reason == "toxicity"]
        if a.record.procedures is None
        else []
    )
    if undecided:
        return None, (
            f"procedures not recorded: whether {undecided[-1].label()}, stopped for toxicity, "
            "was induction (before an ASCT) is unknown"
        )
    induction = induction_courses(a)
    if not induction or any(c.end is None or c.end > a.as_of for c in induction):
        return False, "no induction course stopped yet"
    last = induction[-1]
    if last.stop_reason != "toxicity":
        return False, f"{last.label()} not stopped for toxicity"
    complete = a.get("four_induction_cycles_given")
    if complete.value is None:
        return None, f"{last.label()} stopped for toxicity; {complete.why}"
    if complete.value:
        return False, f"{last.label()} stopped for toxicity after {complete.why}"
    return True, (
        f"induction stopped for toxicity ({last.label()}) after {complete.why}: induction "
        "continues with another regimen"
    )


@fact(
    "induction_regimen",
    definition="the catalogue id of the first-line induction regimen (seed 003: "
    "consolidation and extended treatment use 'samme regime' / 'induktionsregimet'): the "
    "first induction course's, or the latest one that adds a drug to the courses before it "
    "(a switch of regimen, e.g. Isa-RVd to Isa-KRd); a course that only drops a drug (for "
    "toxicity) keeps the regimen it came from",
    needs=("treatments",),
    kind="string",
)
def induction_regimen(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    courses = induction_courses(a)
    if not courses:
        return None, "no induction given yet"
    regimen = courses[0]
    for i, c in enumerate(courses[1:], start=1):
        if not set(c.drugs) <= set().union(*(set(o.drugs) for o in courses[:i])):
            regimen = c
    why = f"induction: {regimen.label()}"
    if regimen is not courses[0]:
        why += f" (switched from {courses[0].label()})"
    return _regimen_id(a, regimen), why


@fact(
    "induction_cycles",
    definition="cycles of first-line induction given so far (sum of the induction courses' "
    "recorded cycles; unknown when a course does not record them)",
    needs=("treatments",),
    kind="number",
)
def induction_cycles(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    courses = induction_courses(a)
    if not courses and induction_undecided(a):
        return None, "procedures not recorded: whether a first-line course was induction is unknown"
    if not courses:
        return 0, "no induction given yet"
    given = a.record.treatments
    # a CAR-T recorded only as a procedure (timeline.car_t_treatments) records no cycles
    counts = [given[c.index].cycles if c.index < len(given) else None for c in courses]
    if any(n is None for n in counts):
        return None, "cycles not recorded for " + ", ".join(
            c.label() for c, n in zip(courses, counts, strict=True) if n is None
        )
    total = sum(n for n in counts if n is not None)
    return total, f"{total} cycle(s): " + ", ".join(c.label() for c in courses)


@fact(
    "current_induction_regimen",
    definition="the catalogue id of the first-line induction course under way at the decision "
    "date (seed 003: induction 'i fire serier'; unknown when none is under way)",
    needs=("treatments",),
    kind="string",
)
def current_induction_regimen(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    ongoing = [c for c in induction_courses(a) if c.end is None or c.end > a.as_of]
    if ongoing:
        return _regimen_id(a, ongoing[-1]), f"under way: {ongoing[-1].label()}"
    unfinished = induction_to_finish(a)
    if unfinished is not None:
        return _regimen_id(a, unfinished), f"to be finished: {unfinished.label()}"
    return None, "no induction course under way"


ENDED_INDUCTION_STOPS = frozenset({"completed", "progression", "toxicity"})


def induction_to_finish(a: Assessment) -> Course | None:
    """The last induction course when it ended before the four cycles recommendations 2 and 6
    give "før leukaferese" for another reason than completion, progression or toxicity (a
    referral, say) and nothing followed it: induction goes on with it (review r29-04, r29-05).
    A toxicity stop is ``induction_interrupted``'s (another regimen)."""
    induction = induction_courses(a)
    if (
        not induction
        or procedures_of(a, "stem_cell_collection")
        or procedures_of(a, "autologous_sct")
    ):
        return None
    last = induction[-1]
    if last.end is None or last.end > a.as_of or last.stop_reason in ENDED_INDUCTION_STOPS:
        return None
    later = [c for c in a.courses if c.line == 1 and c.start > last.start]
    if later or a.value("four_induction_cycles_given") is not False:
        return None
    return last


@fact(
    "four_induction_cycles_given",
    definition="seed 003 recommendation 8: 'MRD-negativitet efter fire serier "
    "induktionsbehandling' — at least 4 induction cycles given. After the 3 cycles the seed "
    "lists for Isa-RVd ('Isa-RVd ... – 3 induktionsserier') the source conflicts with itself: "
    "unknown (assert the fact to settle it)",
    needs=("treatments",),
)
def four_induction_cycles_given(a: Assessment) -> tuple[Value, str]:
    cycles = a.get("induction_cycles")
    if cycles.value is None:
        return None, cycles.why
    assert isinstance(cycles.value, int | float)
    if cycles.value >= INDUCTION_CYCLES:
        return True, f"{cycles.value:g} induction cycles ({cycles.why})"
    regimen = a.value("induction_regimen")
    if regimen == "Isa-RVd" and cycles.value >= ISA_RVD_LISTED_CYCLES:
        return None, (
            f"{cycles.value:g} cycles of Isa-RVd, the full schedule the seed lists ('Isa-RVd – 3 "
            "induktionsserier', GMMG-HD7: three 6-week cycles), while recommendation 8 says "
            "'efter fire serier': the source conflicts — the clinician decides (assert "
            "four_induction_cycles_given)"
        )
    return (
        False,
        f"{cycles.value:g} induction cycle(s), fewer than {INDUCTION_CYCLES} ({cycles.why})",
    )


@fact(
    "quadruplet_induction",
    definition="first-line induction with an anti-CD38 antibody, a proteasome inhibitor and "
    "an IMiD (seed 003 'firstofs-induktionsbehandling med CD38-antistof i kombination med "
    "bortezomib, et immunmodulerende lægemiddel og dexamethason')",
    needs=("treatments",),
)
def quadruplet_induction(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    courses = induction_courses(a)
    if not courses and induction_undecided(a):
        return None, "procedures not recorded: whether a first-line course was induction is unknown"
    if not courses:
        return False, "no induction given yet"
    classes = set().union(*(a.catalogue.classes_of(d) for d in courses[0].drugs))
    needed = {"anti_cd38", "proteasome_inhibitor", "imid"}
    return needed <= classes, f"{courses[0].label()}: classes {', '.join(sorted(classes))}"


@fact(
    "asct_count",
    definition="number of autologous stem-cell transplants (HDT/ASCT) given",
    needs=("procedures",),
    kind="number",
)
def asct_count(a: Assessment) -> tuple[Value, str]:
    if a.record.procedures is None:
        return None, "procedures not recorded"
    ascts = procedures_of(a, "autologous_sct")
    return len(ascts), ", ".join(p.date.isoformat() for p in ascts) or "no ASCT recorded"


@fact(
    "cr_after_asct",
    definition="complete remission (CR or sCR) after the first ASCT (seed 003: tandem for "
    "patients who 'ikke opnåede komplet remission (CR) efter første ASCT')",
    needs=("procedures",),
)
def cr_after_asct(a: Assessment) -> tuple[Value, str]:
    ascts = procedures_of(a, "autologous_sct")
    if not ascts:
        return None, "no ASCT yet" if a.record.procedures is not None else "procedures not recorded"
    response = ascts[0].best_response_after
    if response is None:
        return None, f"response after the ASCT of {ascts[0].date} not recorded"
    return RESPONSE_RANK[response] >= CR, f"{response} after the ASCT of {ascts[0].date}"


@fact(
    "benefit_from_first_hdt",
    definition="the patient 'har haft gavn af den første HDT' (seed 003, tandem ASCT); the "
    "seed does not define benefit: mmpath counts a response after the first ASCT deeper than "
    "the best induction response as benefit and progression after it as none; otherwise "
    "the clinician decides (assert benefit_from_first_hdt)",
    needs=("procedures", "treatments"),
)
def benefit_from_first_hdt(a: Assessment) -> tuple[Value, str]:
    ascts = procedures_of(a, "autologous_sct")
    if not ascts:
        return None, "no ASCT yet" if a.record.procedures is not None else "procedures not recorded"
    after = ascts[0].best_response_after
    if after is None:
        return None, "response after the first ASCT not recorded"
    if after == "PD":
        return False, "progression after the first ASCT"
    courses = induction_courses(a)
    before = [c.best_response for c in courses if c.best_response]
    best = max(before, key=RESPONSE_RANK.__getitem__) if before else None
    complete = len(before) == len(courses)  # an unrecorded response could be the deepest
    if best is not None and complete and RESPONSE_RANK[after] > RESPONSE_RANK[best]:
        return True, f"response deepened from {best} (induction) to {after} after ASCT"
    shown = best or "not recorded"
    return None, (
        f"{after} after ASCT, best induction response {shown}: whether this is benefit is the "
        "clinician's judgement (the seed does not define it; assert benefit_from_first_hdt)"
    )


@fact(
    "pathway_phase",
    definition="the phase of the first-line transplant pathway the patient is in or due for "
    "(none, induction, mobilisation, transplant, consolidation, maintenance), from the "
    "first-line courses and procedures (seed 003: induction, leukapheresis, HDT, optional "
    "consolidation, maintenance)",
    needs=("treatments", "procedures"),
    kind="string",
)
def pathway_phase(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        ascts = procedures_of(a, "autologous_sct")
        if ascts:
            # the transplant places the patient after HDT even when the courses are not
            # recorded (a referral letter: review r46-03); what followed it is unknown
            response = ascts[-1].best_response_after or "response not recorded"
            return "consolidation", (
                f"ASCT on {ascts[-1].date} ({response}): consolidation (optional) and "
                "maintenance are next; treatment history not recorded, so whether either has "
                "started is not known"
            )
        return None, "treatment history not recorded"
    first_line = [c for c in a.courses if c.line == 1]
    if not first_line:
        return "none", "no treatment yet: induction is the next step"
    roles = {c.index: post_asct_role(a, c) for c in first_line}
    maintenance = [c for c in first_line if roles[c.index] == "maintenance"]
    if maintenance:
        unset = (
            ""
            if maintenance[-1].setting
            else " (no setting: after the ASCT, not the induction regimen)"
        )
        return "maintenance", f"maintenance under way: {maintenance[-1].label()}{unset}"
    if a.record.procedures is None:
        latest = first_line[-1]
        if latest in induction_courses(a) and (latest.end is None or latest.end > a.as_of):
            # the procedures follow the induction: none can have come yet (review/facts/93)
            return "induction", (
                f"induction under way: {latest.label()} (procedures not recorded; none "
                "follows an induction still being given)"
            )
        return None, "treatment recorded but procedures (stem-cell collection, ASCT) not recorded"
    ascts = procedures_of(a, "autologous_sct")
    if ascts:
        asct = ascts[-1]
        response = asct.best_response_after or "response not recorded"
        consolidation = [c for c in first_line if roles[c.index] == "consolidation"]
        done = [c for c in consolidation if c.end is not None and c.end <= a.as_of]
        if consolidation and len(done) == len(consolidation):
            return "maintenance", (
                f"ASCT on {asct.date} ({response}); consolidation done ({done[-1].label()}): "
                "maintenance is next"
            )
        if consolidation:
            return "consolidation", f"consolidation under way: {consolidation[-1].label()}"
        return "consolidation", (
            f"ASCT on {asct.date} ({response}): consolidation (optional) and maintenance are next"
        )
    collections = procedures_of(a, "stem_cell_collection")
    if collections:
        if a.value("stem_cell_collection_failed") is True:
            return "mobilisation", (
                f"{a.get('stem_cell_collection_failed').why}: not enough for an ASCT, so HDT "
                "needs a successful collection first; the guideline gives no rule for a "
                "failed mobilisation"
            )
        bridge = bridge_to_hdt(a)
        if bridge is not None and any(_after_induction_alone(a, c) for c in first_line):
            return "transplant", f"{bridge}: HDT/ASCT is next"
        return "transplant", f"stem cells collected on {collections[-1].date}: HDT/ASCT is next"
    induction = induction_courses(a)
    ongoing = [c for c in induction if c.end is None or c.end > a.as_of]
    if ongoing:
        return "induction", f"induction under way: {ongoing[-1].label()}"
    if a.value("induction_interrupted") is True:
        return "induction", a.get("induction_interrupted").why
    unfinished = induction_to_finish(a)
    if unfinished is not None:
        return "induction", (
            f"{unfinished.label()} ended after {a.get('induction_cycles').why}, fewer than the "
            "four cycles recommendations 2 and 6 give before leukapheresis, and not as "
            "completed: induction continues"
        )
    if induction:
        return "mobilisation", (
            f"induction finished ({induction[-1].label()}), no stem-cell collection recorded: "
            "mobilisation and leukapheresis are next"
        )
    return None, "first-line courses recorded but none is induction, consolidation or maintenance"


ANTI_CD38_MAINTENANCE_YEARS = 2
"""Seed 003: daratumumab maintenance 'i 2 år' for patients who do not tolerate
lenalidomide, and dual maintenance 'i 2 år' when MRD-positive after HDT."""


@fact(
    "anti_cd38_maintenance_completed",
    definition="first-line maintenance with an anti-CD38 antibody (daratumumab or isatuximab, "
    "alone or with lenalidomide) has been given for 2 years or more (seed 003: 'i 2 år'): "
    "from the start of the first such maintenance course to the decision date, calendar "
    "months (the second anniversary counts as reached)",
    needs=("treatments",),
)
def anti_cd38_maintenance_completed(a: Assessment) -> tuple[Value, str]:
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    first_line = [c for c in a.courses if c.line == 1]
    # the setting as recorded, or read from the course's place after the ASCT
    anti_cd38 = [
        c
        for c in first_line
        if post_asct_role(a, c) == "maintenance"
        and any("anti_cd38" in a.catalogue.classes_of(d) for d in c.drugs)
    ]
    if not anti_cd38:
        undecided = [
            c
            for c in first_line[1:]
            if c.setting is None
            and post_asct_role(a, c) is None
            and any("anti_cd38" in a.catalogue.classes_of(d) for d in c.drugs)
        ]
        if a.record.procedures is None and undecided:
            # procedures not recorded: a later first-line course with an anti-CD38 antibody
            # and no setting may be maintenance after an ASCT (found by an explore run of
            # tests/test_facts_kleene.py: "no" with procedures left out, "yes" with the ASCT)
            return None, (
                f"procedures not recorded: whether {undecided[0].label()} was maintenance "
                "after an ASCT is not known"
            )
        return False, "no anti-CD38 maintenance given"
    start = anti_cd38[0].start
    due = months_after(start, 12 * ANTI_CD38_MAINTENANCE_YEARS)
    given = elapsed(start, a.as_of)
    if a.as_of >= due:
        return (
            True,
            f"anti-CD38 maintenance since {start} ({anti_cd38[0].label()}): {given}, 2 years reached on {due}",
        )
    return False, f"anti-CD38 maintenance since {start}: {given}, 2 years on {due}"
