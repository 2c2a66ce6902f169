"""Stem-cell transplantation: prior ASCT, eligibility, second ASCT, allogeneic SCT.

Sources (shared/reference/clinical-definitions.md, "Transplant"):
- Eligibility: the relapse guidelines define no rule, so ``transplant_eligible`` is the
  clinician's judgement (the record's ``transplant_eligible`` or an assertion), unknown
  otherwise. The Danish rule (seed 003, DMSG recommendation 1 and its evidence section:
  biological age ≤ 70, no significant comorbidity; contraindications include performance
  status ≥ 2 and high comorbidity) is the dk pack's own fact ``transplant_eligible_dmsg``;
  the clinician's judgement wins there too. The criterion is *biological* age: a
  chronological age above 70 does not settle it (unknown: the clinician's judgement), while
  ECOG ≥ 2, a named contraindication, does. Whether a recorded comorbidity is "significant"
  is the clinician's judgement (the seed does not define "væsentlig komorbiditet"), except
  for comorbidities that neither the Charlson comorbidity index (Charlson 1987) nor the
  HCT-CI (Sorror 2005), the indices used to weigh comorbidity before transplant, counts
  (hypertension, peripheral neuropathy, venous thromboembolism): these alone are read as
  not significant, and the reason says so.
- Second ASCT (seed 000, "Algemeen" and "Overweging tweede autologe SCT"): good response
  after the first ASCT, a long enough remission — the protocol says it twice, differently:
  "> 24 months (> 36 months if during lenalidomide maintenance)" and "at least 24 months (36
  months if lenalidomide maintenance was given)"; both readings are computed and the
  criterion is unknown where they disagree (relapse after the maintenance stopped, a
  remission of exactly 24 or 36 months) — and enough stored stem cells ("nog voldoende
  stamcellen zijn ingevroren": the record's ``sufficient_for_asct``, else at least one
  stored graft still available). Transplants are counted: after two ASCTs (a tandem counts
  as two) a further one is not a second ASCT and the criteria are false. Months are
  calendar months: more than 24 months = after the day 24 months after the ASCT, at least
  24 months = on or after it. The protocol does not define "good response": VGPR or better
  counts, MR/SD/PD do not, PR stays unknown.
- Allogeneic SCT (seed 000, "Overweging allogene SCT"): (first) relapse with high-risk
  disease and/or relapse within 24 months. "Hoog risico ziekte" is not defined there: read
  as IMS/IMWG 2025 high risk (an isolated 1q gain or t(4;14) is not). The protocol does not
  say from when the 24 months run: ``relapse_within_24_months`` names every starting point
  (diagnosis, start of first-line therapy, first ASCT) and is unknown when they disagree.
  Seed 001's "early relapse" (allogeneic SCT) is read with the same fact.
"""

from __future__ import annotations

import datetime as dt

from mmpath.assess.assessment import Assessment, years_between
from mmpath.assess.fact import Value, fact, in_words, kleene_and, kleene_not, kleene_or
from mmpath.assess.timeline import RESPONSE_RANK, Course, elapsed, months_after

ELIGIBILITY_MAX_AGE = 70
ELIGIBILITY_MAX_ECOG = 1
NOT_COUNTED_COMORBIDITIES = frozenset(
    {"hypertension", "peripheral_neuropathy", "venous_thromboembolism"}
)
"""Comorbidity codes counted by neither the Charlson index (Charlson 1987) nor the HCT-CI
(Sorror 2005): read as not 'væsentlig' (significant) on their own (module docstring)."""
DOSE_ADJUSTED_COMORBIDITIES = frozenset({"renal_impairment", "dialysis"})
"""Comorbidity codes seed 003 meets with a lower melphalan dose, not by withholding HDT:
"Desuden bør graden af nyrepåvirkning vurderes m.h.p. reduktion af melphalandosis" (the
degree of kidney impairment should be assessed for a reduction of the melphalan dose) and
recommendation 3, "Ved påvirket nyrefunktion (kreatinin clearance < 30 ml/min) reduceres
dosis af melfalan til 140 mg/m²". Read as not 'væsentlig' on their own for the DMSG rule
(independent review round 6, case r6-11). Dialysis is kidney impairment of the degree
recommendation 3 names (creatinine clearance < 30 mL/min, melphalan 140 mg/m²; the pack's
dose notes give 140 on dialysis): read the same way since review round 22 (case r22-10),
where round 6 had left it to the clinician because the seed does not name dialysis."""
SECOND_ASCT_MIN_MONTHS = 24
SECOND_ASCT_MIN_MONTHS_AFTER_LEN_MAINTENANCE = 36
ALLO_EARLY_RELAPSE_MONTHS = 24


def _ascts(a: Assessment) -> list:  # type: ignore[type-arg]
    return sorted(
        (p for p in a.record.procedures or [] if p.type == "autologous_sct"), key=lambda p: p.date
    )


@fact(
    "prior_asct",
    definition="an autologous stem-cell transplant was given",
    needs=("procedures",),
)
def prior_asct(a: Assessment) -> tuple[Value, str]:
    ascts = _ascts(a)
    if ascts:
        return True, "ASCT on " + ", ".join(p.date.isoformat() for p in ascts)
    if a.record.procedures is None:
        return None, "procedures not recorded"
    return False, "no ASCT among the recorded procedures"


@fact(
    "transplant_eligible",
    definition="the clinician's judgement of transplant eligibility (record transplant_eligible, "
    "or asserted); unknown otherwise: the relapse guidelines define no eligibility rule, and "
    "mmpath does not borrow another guideline's (DMSG's is transplant_eligible_dmsg)",
    needs=("transplant_eligible",),
)
def transplant_eligible(a: Assessment) -> tuple[Value, str]:
    judged = a.record.transplant_eligible
    if judged is not None:
        return (
            judged,
            f"clinician's judgement in the record: {'eligible' if judged else 'not eligible'}",
        )
    return None, (
        "not recorded: eligibility is the clinician's judgement (set transplant_eligible); the "
        "relapse guidelines define no eligibility rule and mmpath borrows none"
    )


@fact(
    "transplant_eligible_dmsg",
    definition="the clinician's judgement in the record; otherwise DMSG (seed 003, "
    "recommendation 1): biological age ≤ 70, ECOG < 2, no significant comorbidity",
    needs=("transplant_eligible", "birth_date", "ecog", "comorbidities"),
)
def transplant_eligible_dmsg(a: Assessment) -> tuple[Value, str]:
    judged = a.record.transplant_eligible
    if judged is not None:
        return (
            judged,
            f"clinician's judgement in the record: {'eligible' if judged else 'not eligible'}",
        )
    ecog = a.record.ecog
    if ecog is not None and ecog > ELIGIBILITY_MAX_ECOG:
        return (
            False,
            f"DMSG rule: ECOG {ecog} ≥ 2 (poor performance status, a named contraindication)",
        )
    age, age_text = _age_at_assessment(a)
    missing = [n for n, v in (("age", age), ("ECOG", ecog)) if v is None]
    if a.record.comorbidities is None:
        missing.append("comorbidities")
    if missing:
        return None, "DMSG rule: not recorded: " + ", ".join(missing)
    open_: list[str] = []
    if age is not None and age > ELIGIBILITY_MAX_AGE:
        open_.append(
            f"chronological age {age_text} > {ELIGIBILITY_MAX_AGE}: the criterion is biological "
            "age (≤ 70), which chronological age only approximates"
        )
    comorbidities = a.record.comorbidities or []
    counted = [
        c
        for c in comorbidities
        if c not in NOT_COUNTED_COMORBIDITIES and c not in DOSE_ADJUSTED_COMORBIDITIES
    ]
    minor = [c for c in comorbidities if c in NOT_COUNTED_COMORBIDITIES]
    dosed = [c for c in comorbidities if c in DOSE_ADJUSTED_COMORBIDITIES]
    if counted:
        open_.append(
            f"comorbidities {', '.join(counted)}: whether they are significant is the "
            "clinician's judgement (the seed does not define 'væsentlig komorbiditet')"
        )
    if open_:
        return None, "DMSG rule: " + "; ".join(open_) + " — set transplant_eligible"
    comorbidity_text = (
        "; ".join(
            [
                *(
                    [
                        f"{', '.join(minor)} counted by neither the Charlson index nor the HCT-CI, "
                        "read as not significant"
                    ]
                    if minor
                    else []
                ),
                *(
                    [
                        f"{', '.join(dosed)}: the guideline lowers the melphalan dose for it "
                        "(recommendation 3), read as not significant"
                    ]
                    if dosed
                    else []
                ),
            ]
        )
        or "no comorbidity recorded"
    )
    return True, (f"DMSG rule: chronological age {age_text} ≤ 70, ECOG {ecog}, {comorbidity_text}")


def _age_at_assessment(a: Assessment) -> tuple[int | None, str]:
    """The age recommendation 1 reads: "Alle nydiagnosticerede myelomatosepatienter med en
    biologisk alder ≤ 70 år ... skal vurderes" (all newly diagnosed patients with a
    biological age ≤ 70 must be assessed for HDT) is judged when the first-line treatment is
    chosen, so a birthday during the first line does not change it (independent review round
    22, case r22-08): the age at the start of first-line therapy, or now when none has
    started (review/dk-ndmm-te/03: untreated on the 71st birthday)."""
    born = a.record.birth_date
    if not a.courses or born is None:
        return a.age, f"{a.age}"
    started = a.courses[0].start
    years = years_between(born, started)
    return years, f"{years} at the start of first-line therapy ({started.isoformat()})"


def _grafts_conflict(a: Assessment) -> list[str]:
    sc = a.record.stem_cells
    if sc is not None and sc.sufficient_for_asct is True and sc.stored_grafts == 0:
        return [
            "stem_cells says sufficient_for_asct but no stored graft is left (stored_grafts 0); "
            "sufficient_for_asct is used — check the record"
        ]
    return []


@fact(
    "stem_cells_sufficient",
    definition="enough stored autologous stem cells for an ASCT (seed 000: 'nog voldoende "
    "stamcellen zijn ingevroren'): the record's sufficient_for_asct, else at least one stored "
    "graft still available",
    needs=("stem_cells",),
    warnings=_grafts_conflict,
)
def stem_cells_sufficient(a: Assessment) -> tuple[Value, str]:
    sc = a.record.stem_cells
    if sc is None:
        return None, "stored stem cells not recorded"
    if sc.sufficient_for_asct is not None:
        return (
            sc.sufficient_for_asct,
            f"stem cells sufficient for an ASCT (recorded): {in_words(sc.sufficient_for_asct)}",
        )
    if sc.stored_grafts is not None:
        return sc.stored_grafts >= 1, f"{sc.stored_grafts} stored graft(s)"
    return None, "stored stem cells not recorded"


def _len_maintenance(a: Assessment, asct: dt.date, until: dt.date | None) -> list[Course]:
    """Lenalidomide courses after the ASCT and before the first progression after it, given
    as maintenance (``setting: maintenance``, or no setting: a lenalidomide course continuing
    the transplant line is its maintenance)."""
    return [
        c
        for c in a.courses
        if "lenalidomide" in c.drugs
        and c.setting in ("maintenance", None)
        and c.start >= asct
        and (until is None or c.start < until)
    ]


def _pfs_reading(
    asct: dt.date, progression: dt.date | None, as_of: dt.date, months: int, strict: bool
) -> bool | None:
    """Whether the remission after ``asct`` lasted more than (``strict``) / at least
    ``months`` calendar months; unknown while it is still running and too short."""
    boundary = months_after(asct, months)
    if progression is not None:
        return progression > boundary if strict else progression >= boundary
    return True if (as_of > boundary if strict else as_of >= boundary) else None


@fact(
    "second_asct_remission_criteria",
    definition="seed 000: good response after the first ASCT (≥ VGPR; PR undecided) and a "
    "remission long enough by both of the protocol's wordings — 'Progressievrije overleving "
    ">24 maanden (>36 maanden als tijdens lenalidomide onderhoud)' and 'minimaal 24 maanden "
    "(36 maanden indien er onderhoudstherapie met lenalidomide werd gegeven)'; where they "
    "disagree for the patient (relapse after maintenance stopped; exactly 24/36 months) unknown",
    needs=("procedures", "progressions", "treatments"),
)
def second_asct_remission_criteria(a: Assessment) -> tuple[Value, str]:
    ascts = _ascts(a)
    if not ascts:
        prior = a.get("prior_asct")
        return (False if prior.value is False else None), f"no first ASCT: {prior.why}"
    if len(ascts) >= 2:
        dates = ", ".join(p.date.isoformat() for p in ascts)
        return False, (
            f"{len(ascts)} ASCTs already given ({dates}; a tandem counts as two): a further one "
            "is not a second ASCT, for which the protocol's criteria are written"
        )
    first = ascts[0]
    response = first.best_response_after
    if response is None:
        good: Value = None
        response_why = "response after ASCT not recorded"
    elif RESPONSE_RANK[response] >= RESPONSE_RANK["VGPR"]:
        good, response_why = True, f"{response} after ASCT"
    elif response == "PR":
        good = None
        response_why = "PR after ASCT: the protocol does not say whether PR is a 'good response'"
    else:
        good, response_why = False, f"{response} after ASCT"
    after = [e for e in a.progression_events if e.date > first.date]
    progression = after[0].date if after else None
    if progression is None and not a.progressions_recorded:
        return kleene_and([good, None]), f"{response_why}; progression after ASCT not recorded"
    given = _len_maintenance(a, first.date, progression)
    during = progression is not None and any(c.on_therapy(progression, a.as_of) for c in given)
    if progression is None:
        during = bool(given) and any(c.end is None for c in given)
    list_months = SECOND_ASCT_MIN_MONTHS_AFTER_LEN_MAINTENANCE if during else SECOND_ASCT_MIN_MONTHS
    text_months = SECOND_ASCT_MIN_MONTHS_AFTER_LEN_MAINTENANCE if given else SECOND_ASCT_MIN_MONTHS
    by_list = _pfs_reading(first.date, progression, a.as_of, list_months, strict=True)
    by_text = _pfs_reading(first.date, progression, a.as_of, text_months, strict=False)
    span = elapsed(first.date, progression or a.as_of)
    remission = (
        f"progression {span} after the ASCT of {first.date}"
        if progression
        else f"no progression in {span} since the ASCT of {first.date}"
    )
    if given:
        maintenance = ", ".join(c.label() for c in given)
        remission += f"; lenalidomide maintenance {maintenance}" + (
            ", relapse during it" if during else ", stopped before the relapse"
        )
    # a progression found in the labs after a gap began somewhere in the gap: read the
    # remission at the last assessment before it too (review r79-02: an 18-month gap around
    # the 36 months; documented remission 31 months, progression first seen at 49)
    gap = ""
    found_after = after[0].after if after else None  # set only for a lab-series progression
    if found_after is not None and found_after > first.date:
        earliest = (
            _pfs_reading(first.date, found_after, a.as_of, list_months, strict=True),
            _pfs_reading(first.date, found_after, a.as_of, text_months, strict=False),
        )
        if earliest != (by_list, by_text):
            by_list = by_list if earliest[0] == by_list else None
            by_text = by_text if earliest[1] == by_text else None
            gap = (
                f" (the lab series was last measured without progression on {found_after}, "
                f"{elapsed(first.date, found_after)} after the ASCT: the progression began in "
                "that gap, on either side of the threshold)"
            )
    words = {True: "met", False: "not met", None: "not yet known"}
    readings = (
        f"list 'PFS > {list_months} months' ({'during' if during else 'no relapse during'} "
        f"lenalidomide maintenance): {words[by_list]}; paragraph 'at least {text_months} "
        f"months' (lenalidomide maintenance {'given' if given else 'not given'}): "
        f"{words[by_text]}{gap}"
    )
    if by_list == by_text:
        durable = by_list
    else:
        durable = None
        readings += (
            " — the protocol's two wordings disagree for this patient: assert "
            "second_asct_remission_criteria to choose"
        )
    return kleene_and([good, durable]), f"{response_why}; {remission}; {readings}"


@fact(
    "asct_candidate",
    definition="transplant-eligible and either no ASCT yet or the second-ASCT remission "
    "criteria met (seed 000: 'Indien patiënt in aanmerking komt voor een (tweede) autologe SCT')",
    needs=("transplant_eligible", "procedures", "progressions"),
)
def asct_candidate(a: Assessment) -> tuple[Value, str]:
    eligible = a.get("transplant_eligible")
    prior = a.get("prior_asct")
    second = a.get("second_asct_remission_criteria")
    route = kleene_or([kleene_not(prior.value), second.value])
    value = kleene_and([eligible.value, route])
    return value, f"transplant_eligible: {eligible.why}; prior ASCT: {prior.why}; " + (
        f"second ASCT criteria: {second.why}" if prior.value else "first ASCT not yet given"
    )


def _anchors(a: Assessment, relapse: dt.date) -> list[tuple[str, dt.date | None]]:
    """The starting points the 24 months may run from, earliest first: diagnosis, start of
    first-line therapy, and the first ASCT before the relapse (when one was given)."""
    diagnosis = a.record.diagnosis.date if a.record.diagnosis else None
    anchors: list[tuple[str, dt.date | None]] = [
        ("diagnosis", diagnosis),
        ("start of first-line therapy", a.courses[0].start if a.courses else None),
    ]
    ascts = [p.date for p in _ascts(a) if p.date < relapse]
    if ascts:
        anchors.append(("first ASCT", ascts[0]))
    elif a.record.procedures is None:
        anchors.append(("an ASCT (procedures not recorded)", None))
    return anchors


@fact(
    "relapse_within_24_months",
    definition=f"seed 000 'recidief binnen {ALLO_EARLY_RELAPSE_MONTHS} maanden' (allogeneic "
    "SCT): the first relapse came within 24 calendar months — of diagnosis, of the start of "
    "first-line therapy, or of the first ASCT: the protocol names no starting point, so the "
    "fact is known only when every starting point the record gives agrees, and its reason "
    "names each",
    needs=("diagnosis", "treatments", "procedures", "progressions"),
)
def relapse_within_24_months(a: Assessment) -> tuple[Value, str]:
    if not a.courses:
        return (False if a.record.treatments is not None else None), "no treatment recorded"
    start = a.courses[0].start
    events = [e for e in a.progression_events if e.date > start]
    if not events:
        if a.progressions_recorded:
            return False, "no relapse since first-line therapy started"
        return None, "no progression recorded yet"
    relapse = events[0].date
    readings: list[tuple[str, Value]] = []
    parts = []
    for name, anchor in _anchors(a, relapse):
        if anchor is None:
            readings.append((name, None))
            parts.append(f"from {name}: not known")
            continue
        within = relapse < months_after(anchor, ALLO_EARLY_RELAPSE_MONTHS)
        readings.append((name, within))
        parts.append(
            f"from {name} ({anchor}): {elapsed(anchor, relapse)}, {'within' if within else 'not within'}"
        )
    known = {v for _, v in readings if v is not None}
    # the anchors are in date order: within 24 months of an earlier one implies within 24
    # months of every later one, and not within of a later one implies not within of the
    # earlier ones; so an unknown anchor matters only between readings that differ
    value: Value
    if len(known) == 1:
        (only,) = known
        positions = [i for i, (_, v) in enumerate(readings) if v is not None]
        unknown_before = any(v is None for _, v in readings[: positions[0]])
        unknown_after = any(v is None for _, v in readings[positions[-1] + 1 :])
        settled = (only is True and not unknown_before) or (only is False and not unknown_after)
        value = only if settled else None
    else:
        value = None
    why = f"first relapse on {relapse}: " + "; ".join(parts)
    if len(known) > 1:
        why += (
            " — the protocol does not say from when the 24 months run and the readings "
            "differ for this patient: assert relapse_within_24_months to choose"
        )
    if value is False and not a.progressions_recorded:
        # the relapse found in the labs could have begun after the last assessment before it,
        # not earlier: a progression does not reverse without new treatment, and the values up
        # to that assessment were not progression (review r78-09, r79-01)
        last = events[0].after  # set only for a progression found in the lab series
        dated = [anchor for _, anchor in _anchors(a, relapse) if anchor is not None]
        if last is not None and all(
            last >= months_after(anchor, ALLO_EARLY_RELAPSE_MONTHS) for anchor in dated
        ):
            return False, (
                f"{why}; progressions not recorded, but the lab series was not yet "
                f"progression on {last}, already {ALLO_EARLY_RELAPSE_MONTHS} months or more "
                "after each starting point"
            )
        return None, f"{why}; progressions not recorded, an earlier one cannot be ruled out"
    return value, why


@fact(
    "allo_sct_consideration",
    definition="seed 000: relapse with 'hoog risico ziekte' (undefined there; read as IMS/IMWG "
    "2025 high risk, high_risk_imwg2025) and/or a relapse within 24 months "
    "(relapse_within_24_months, every starting point named); the first relapse is the pack's "
    "condition",
    needs=("cytogenetics", "labs", "diagnosis", "treatments", "progressions"),
)
def allo_sct_consideration(a: Assessment) -> tuple[Value, str]:
    relapsed = a.get("relapsed")
    risk = a.get("high_risk_imwg2025")
    within = a.get("relapse_within_24_months")
    value = kleene_and([relapsed.value, kleene_or([risk.value, within.value])])
    return (
        value,
        f"relapsed: {in_words(relapsed.value)}; 'hoog risico ziekte' read as IMS/IMWG 2025 high risk: "
        f"{risk.why}; relapse within 24 months: {within.why}",
    )
