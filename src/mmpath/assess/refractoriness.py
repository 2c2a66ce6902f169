"""Drug and class exposure and refractoriness, derived from the treatment timeline.

IMWG (Rajkumar et al., Blood 2011;117:4691; shared/reference/clinical-definitions.md,
"Refractoriness"): refractory = non-responsive while on therapy (failure to reach at
least minimal response: best response SD or PD) or progression on therapy or within
:data:`REFRACTORY_WINDOW_DAYS` of the last dose. A course stopped for progression counts
as progression at its end. Exposure and refractoriness are separate facts. IMWG does not
look at the dose: progression on low-dose lenalidomide maintenance is refractory.
"Not refractory" therefore needs both: no progression in the window (progressions
recorded, or — with progressions not recorded — a lab series that follows the disease
across the window, ``_followed``) and a best response of at least MR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import (
    Derivation,
    FactSpec,
    Value,
    kleene_or,
    register,
)
from mmpath.assess.investigational import class_warnings
from mmpath.assess.lab_progression import LAB_FOLLOW_UP_DAYS
from mmpath.assess.lab_response import MIN_EXPOSURE_DAYS, lab_non_response
from mmpath.assess.timeline import RESPONSE_RANK, Course, ProgressionEvent

REFRACTORY_WINDOW_DAYS = 60
REFRACTORY_DEFINITION = (
    "IMWG (Rajkumar 2011): no response (< MR) on therapy, or progression on therapy or "
    f"within {REFRACTORY_WINDOW_DAYS} days of the last dose"
)
EXPOSURE_DEFINITION = "received the drug in any treatment course before the decision date"
NEEDS = ("treatments", "progressions", "labs")

CLASS_FACTS = {
    "pi": ("proteasome_inhibitor", "a proteasome inhibitor"),
    "imid": ("imid", "an immunomodulatory drug (IMiD)"),
    "anti_cd38": ("anti_cd38", "an anti-CD38 antibody"),
}
DRUG_FACTS = (
    "lenalidomide",
    "bortezomib",
    "daratumumab",
    "pomalidomide",
    "carfilzomib",
    "isatuximab",
    "thalidomide",
    "ixazomib",
    # drugs of the regimens in seeds 001, 002 and 004 (es-len-refractory's rule "refractory
    # to every non-steroid drug" names the facts that would settle it)
    "elotuzumab",
    "panobinostat",
    "cyclophosphamide",
    "melphalan",
    "doxorubicin",
    "etoposide",
    "cisplatin",
    "carmustine",
    "cytarabine",
)


CONTINUING_SETTINGS = frozenset({"maintenance", "consolidation"})
MR_RANK = RESPONSE_RANK["MR"]
SAME_TARGET_CLASSES = frozenset({"anti_cd38"})
"""Classes whose drugs share one target (daratumumab and isatuximab: CD38), so that
refractoriness to one is refractoriness to the target (shared/reference/
clinical-definitions.md, "Class-level facts"). Proteasome inhibitors and IMiDs are classes,
not one target: pomalidomide is given to lenalidomide-refractory patients, carfilzomib to
bortezomib-refractory ones, so for them only a caution is shown."""
CAUTION_CLASSES = {
    "anti_cd38": "an anti-CD38 antibody",
    "proteasome_inhibitor": "a proteasome inhibitor",
    "imid": "an IMiD",
}
"""Classes for which an option gets a caution when the patient is refractory to another
drug of the class (``class_refractory_other``)."""


def course_response(a: Assessment, c: Course) -> str | None:
    """The best response on a course; maintenance and consolidation continue the response
    their line reached before them (courses of the line and ASCTs since its start) rather
    than induce one, so for them the better of their own and that one counts: their own SD
    after an earlier VGPR is that VGPR maintained, not non-response; with the line's earlier
    response unknown an SD is undecided (None); PD stays PD. Another course without a
    recorded response may show none in its serum M-protein (``lab_non_response``: "SD (...)")."""
    own = c.best_response
    if own == "PD" or c.setting not in CONTINUING_SETTINGS:
        if own == "SD" and _maybe_post_asct(a, c) and _continued(a, c, own) != own:
            return None  # maintenance after an unrecorded ASCT would continue the line's response
        if own is None and not _maybe_post_asct(a, c):
            found = lab_non_response(a, c)
            return None if found is None else f"SD ({found})"
        return own
    return _continued(a, c, own)


def _maybe_post_asct(a: Assessment, c: Course) -> bool:
    """A later course of its line without a setting while procedures are not recorded: it
    may follow an unrecorded ASCT, i.e. be consolidation or maintenance."""
    return (
        c.setting is None
        and a.record.procedures is None
        and any(o.line == c.line and o.start < c.start for o in a.courses)
    )


def _continued(a: Assessment, c: Course, own: str | None) -> str | None:
    """The response of a continuing (consolidation / maintenance) course: see above."""
    inherited = _line_response(a, c)
    if own is None:
        # only a response (≥ MR) is continued; an earlier non-response says nothing of this one
        if inherited is None or RESPONSE_RANK[inherited] < MR_RANK:
            return None
        return f"{inherited} (reached earlier in the line)"
    if inherited is None:
        return None if own == "SD" else own
    if RESPONSE_RANK[inherited] > RESPONSE_RANK[own] and RESPONSE_RANK[inherited] >= MR_RANK:
        return f"{inherited} (reached earlier in the line)"
    return own


def _line_response(a: Assessment, c: Course) -> str | None:
    """The best response recorded in ``c``'s line before it (courses and ASCTs)."""
    line_start = min(o.start for o in a.courses if o.line == c.line)
    earlier = [o.best_response for o in a.courses if o.line == c.line and o.start < c.start]
    earlier += [
        p.best_response_after
        for p in a.record.procedures or []
        if p.type == "autologous_sct" and line_start <= p.date <= c.start
    ]
    known = [r for r in earlier if r is not None]
    if not known:
        return None
    best = max(known, key=RESPONSE_RANK.__getitem__)
    if len(known) < len(earlier) and RESPONSE_RANK[best] < MR_RANK:
        return None  # an unrecorded response in the line may have reached MR
    return best


def asserted_refractory(a: Assessment, inn: str) -> Value:
    """The clinician's assertion of ``<inn>_refractory`` (``record.asserted``), if any."""
    return (a.record.asserted or {}).get(f"{inn}_refractory")


def drug_refractory(a: Assessment, inn: str) -> tuple[Value, str]:
    """Whether the patient is refractory to ``inn``: the clinician's assertion of
    ``<inn>_refractory`` when given (it wins everywhere: class facts, ranking, exclusion,
    decision summary), else derived (:func:`derived_refractory`)."""
    asserted = asserted_refractory(a, inn)
    if asserted is not None:
        return asserted, f"asserted by the clinician ({inn}_refractory = {str(asserted).lower()})"
    return derived_refractory(a, inn)


def derived_refractory(a: Assessment, inn: str) -> tuple[Value, str]:
    """Whether the patient is refractory to ``inn`` (Kleene OR over its courses).

    Memoised per assessment: drug facts, class facts and the engine all ask."""
    key = ("drug_refractory", inn)
    if key not in a.memo:
        a.memo[key] = _drug_refractory(a, inn)
    found: tuple[Value, str] = a.memo[key]
    return found


def _drug_refractory(a: Assessment, inn: str) -> tuple[Value, str]:
    courses = a.exposed_to(inn)
    if not courses:
        if a.record.treatments is None:
            return None, "treatment history not recorded"
        return False, f"never received {inn}"
    verdicts: list[Value] = []
    reasons: list[str] = []
    for c in courses:
        window_end = c.last_day(a.as_of) + dt.timedelta(days=REFRACTORY_WINDOW_DAYS)
        # a progression on the very day a course starts is why it started, not its failure
        hits = [e for e in a.progression_events if c.start < e.date <= window_end]
        response = course_response(a, c)
        # a progression found in the labs after a gap in the series that spans the window:
        # IMWG dates a progression at the first assessment that shows it, so the verdict
        # stands, but the reason says so (review r55-03: DVd stopped, no assessment for 31
        # months, then a confirmed rise)
        gap = [
            e
            for e in a.progression_events
            if e.after is not None and e.after < window_end < e.date and e.date > c.start
        ]
        if response is not None and response.split(" ")[0] in {"SD", "PD"}:
            verdicts.append(True)
            reasons.append(f"best response {response} on {c.label()}")
        elif hits and c.end_inferred:
            # the last dose is not recorded, only that it came before the ASCT: a progression
            # up to 60 days after that may or may not be within 60 days of the real last dose
            verdicts.append(None)
            reasons.append(
                f"progression {hits[0].date.isoformat()} ({hits[0].source}) after "
                f"{c.label()}, whose last dose is not recorded: whether it came on therapy or "
                f"within {REFRACTORY_WINDOW_DAYS} days of it is not known"
            )
        elif hits:
            e = hits[0]
            when = (
                "on therapy"
                if c.on_therapy(e.date, a.as_of)
                else (f"{(e.date - c.last_day(a.as_of)).days} days after the last dose")
            )
            verdicts.append(True)
            reasons.append(f"progression {e.date.isoformat()} ({e.source}) {when} of {c.label()}")
        elif (follows := _followed(a, c, window_end)) is not None and response is not None:
            verdicts.append(False)
            reasons.append(
                f"best response {response}, no progression on or within "
                f"{REFRACTORY_WINDOW_DAYS} days of {c.label()}{follows}" + _gap_note(gap)
            )
        elif follows is not None and _just_started(a, c):
            # review r69-02: DVd started on the decision day was "refractory unknown" (its
            # response not known), which made DVd itself conditional
            verdicts.append(False)
            reasons.append(
                f"no progression on {c.label()}{follows}, running for "
                f"{(a.as_of - c.start).days} days: too few to call it non-response "
                f"(drug-refractory needs ≥ {MIN_EXPOSURE_DAYS // 7} weeks of the drug)"
            )
        elif follows is not None:
            # no progression, but without the best response non-response (< MR) on
            # therapy, which is refractoriness too, cannot be ruled out
            verdicts.append(None)
            reasons.append(
                f"no progression on or within {REFRACTORY_WINDOW_DAYS} days of "
                f"{c.label()}{follows}, but its best response is not known (not recorded, or SD on maintenance / "
                "consolidation with the line's earlier response not recorded); no response "
                "(< MR) is refractory too"
            )
        else:
            unconfirmed = [
                p for p in a.lab_progressions if not p.confirmed and c.start <= p.date <= window_end
            ]
            verdicts.append(None)
            reasons.append(
                f"unconfirmed {unconfirmed[0].test} rise on {unconfirmed[0].date.isoformat()} "
                f"during {c.label()} (IMWG needs two consecutive assessments)"
                if unconfirmed
                else f"progressions not recorded: cannot tell whether {c.label()} ended in progression"
            )
    value = kleene_or(verdicts)
    if value is True:
        why = "; ".join(r for v, r in zip(verdicts, reasons, strict=True) if v is True)
    else:
        why = "; ".join(reasons)
    return value, why


def _followed(a: Assessment, c: Course, window_end: dt.date) -> str | None:
    """How the record rules out a progression on ``c`` or within the 60 days after it: ""
    when the record lists its progressions, or — with progressions not recorded — words for
    the lab series that follows the disease across that window (patient-record-v1: "When no
    event is given, progression may be derived from the lab series"; review r78-09). None
    when neither does.

    The series follows the window when a marker IMWG 2016 measures progression in
    (``Assessment.followed_markers``) has at least two assessments after the course started
    (a nadir to measure from) and one at most :data:`LAB_FOLLOW_UP_DAYS` after the window
    ends (after the decision date for a course still running or ended less than 60 days
    ago: the latest at most that many days before it). IMWG dates a progression at the first
    assessment that shows it, so a confirmed rise found there would be in
    ``progression_events``; none is."""
    if a.progressions_recorded:
        return ""
    follow_up = dt.timedelta(days=LAB_FOLLOW_UP_DAYS)
    if any(c.start < r.date <= window_end + follow_up for r in a.unmeasured_rises):
        return None  # a rise the series cannot judge (review r79-06)
    for test, series in a.followed_markers:
        after = [d for d, _ in series if d > c.start]
        if window_end > a.as_of:  # running, or stopped less than 60 days ago
            covering = [d for d in after if a.as_of - d <= follow_up]
        else:
            covering = [d for d in after if window_end <= d <= window_end + follow_up]
        if len(after) >= 2 and covering:
            return (
                f" (progressions not recorded; the {test} series shows none: "
                f"{len(after)} assessments since {c.start}, measured on {covering[0]})"
            )
    return None


def _just_started(a: Assessment, c: Course) -> bool:
    """A course still running at the decision date that began under
    :data:`~mmpath.assess.lab_response.MIN_EXPOSURE_DAYS` ago: its response cannot be
    judged yet (a finished short course, a CAR-T infusion, is not this)."""
    return (c.end is None or c.end > a.as_of) and (a.as_of - c.start).days < MIN_EXPOSURE_DAYS


def _gap_note(gap: list[ProgressionEvent]) -> str:
    """Words for a lab progression found only after a gap that spans the 60-day window."""
    if not gap:
        return ""
    e = gap[0]
    return (
        f" (but no measurement between {e.after} and {e.date}, when the {e.source} "
        "progression was found: IMWG dates a progression at the first assessment that shows "
        "it, so the window is judged by that date)"
    )


def target_refractory(a: Assessment, inn: str) -> tuple[Value, str]:
    """Refractory to ``inn`` or to its target: for a drug of a same-target class
    (:data:`SAME_TARGET_CLASSES`, anti-CD38) refractoriness to any drug of the class counts
    (an isatuximab-refractory patient is daratumumab-refractory by target).

    Memoised per assessment (every pack's engine run asks, per option drug)."""
    key = ("target_refractory", inn)
    found: tuple[Value, str] | None = a.memo.get(key)
    if found is None:
        found = a.memo[key] = _target_refractory(a, inn)
    return found


def _target_refractory(a: Assessment, inn: str) -> tuple[Value, str]:
    own = drug_refractory(a, inn)
    shared = sorted(SAME_TARGET_CLASSES & a.catalogue.classes_of(inn))
    if not shared:
        return own
    others = [
        (d, drug_refractory(a, d))
        for d in a.catalogue.drugs_in_class(shared[0])
        if d != inn and (a.exposed_to(d) or asserted_refractory(a, d) is not None)
    ]
    value = kleene_or([own[0], *(v for _, (v, _) in others)])
    if value is True and own[0] is not True:
        hits = [f"{d}: {why}" for d, (v, why) in others if v is True]
        return True, f"by target ({CAUTION_CLASSES[shared[0]]}, same target): " + "; ".join(hits)
    return value, own[1]


def class_refractory_other(a: Assessment, inn: str) -> list[tuple[str, str, str]]:
    """(class, other drug, why) for each other drug of ``inn``'s classes in
    :data:`CAUTION_CLASSES` the patient is refractory to (memoised per assessment; shared:
    do not modify)."""
    key = ("class_refractory_other", inn)
    memo: list[tuple[str, str, str]] | None = a.memo.get(key)
    if memo is None:
        memo = a.memo[key] = _class_refractory_other(a, inn)
    return memo


def _class_refractory_other(a: Assessment, inn: str) -> list[tuple[str, str, str]]:
    found = []
    for klass in sorted(CAUTION_CLASSES.keys() & a.catalogue.classes_of(inn)):
        for other in a.catalogue.drugs_in_class(klass):
            if other == inn:
                continue
            if not a.exposed_to(other) and asserted_refractory(a, other) is None:
                continue
            value, why = drug_refractory(a, other)
            if value is True:
                found.append((klass, other, why))
    return found


def class_refractory(a: Assessment, klass: str, label: str) -> tuple[Value, str]:
    drugs = sorted(
        {d for c in a.courses for d in c.drugs if klass in a.catalogue.classes_of(d)}
        | {d for d in a.catalogue.drugs_in_class(klass) if asserted_refractory(a, d) is not None}
    )
    if not drugs:
        if a.record.treatments is None:
            return None, "treatment history not recorded"
        return False, f"never received {label}"
    results = [(d, *drug_refractory(a, d)) for d in drugs]
    value = kleene_or([v for _, v, _ in results])
    shown = [r for r in results if r[1] is value] or results
    return value, "; ".join(f"{d}: {why}" for d, _, why in shown)


def class_exposed(a: Assessment, klass: str, label: str) -> tuple[Value, str]:
    courses = [c for c in a.courses if any(klass in a.catalogue.classes_of(d) for d in c.drugs)]
    if courses:
        return True, "received " + ", ".join(c.label() for c in courses)
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    return False, f"never received {label}"


def drug_exposed(a: Assessment, inn: str) -> tuple[Value, str]:
    courses = a.exposed_to(inn)
    if courses:
        return True, "received " + ", ".join(c.label() for c in courses)
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    return False, f"never received {inn}"


BEFORE_RELAPSE_DEFINITION = (
    "received the drug in a course started before the relapse being treated (the latest "
    "progression by the decision date; every course when none is known): the sources' "
    "'eerder behandeld' / 'previously treated' at a relapse, so the line a patient is on "
    "for that relapse does not count (independent review rounds 21 and 24)"
)


def before_relapse(a: Assessment) -> tuple[list[Course], dt.date | None]:
    """The courses started before the relapse being treated (the latest progression on or
    before the decision date) and that relapse's date; every course when none is known.
    A course started on the day of the progression is its treatment, not before it."""
    key = ("before_relapse", "")
    if key not in a.memo:
        dates = [e.date for e in a.progression_events if e.date <= a.as_of]
        relapse = max(dates) if dates else None
        courses = [c for c in a.courses if relapse is None or c.start < relapse]
        a.memo[key] = (courses, relapse)
    found: tuple[list[Course], dt.date | None] = a.memo[key]
    return found


def given_before_relapse(
    a: Assessment, gives: Callable[[Course], bool], label: str
) -> tuple[Value, str]:
    """Whether a course that ``gives`` the drug started before the relapse being treated.
    A course before the latest known progression is before the relapse being treated
    whatever else is unrecorded; the others are after it only when the progressions are
    recorded (an unrecorded later relapse could come after them)."""
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    with_drug = [c for c in a.courses if gives(c)]
    if not with_drug:
        return False, f"never received {label}"
    courses, relapse = before_relapse(a)
    before = [c for c in with_drug if c in courses]
    if before and (relapse is not None or a.progressions_recorded):
        return True, "received " + ", ".join(c.label() for c in before)
    later = ", ".join(c.label() for c in with_drug if c not in before)
    if not a.progressions_recorded:
        return None, (
            f"{label} given in {', '.join(c.label() for c in with_drug)}; progressions not "
            "recorded, so whether that was before the relapse being treated is unknown"
        )
    return False, f"{label} first given for the relapse of {relapse}: {later}"


def _drug_before_relapse(a: Assessment, inn: str) -> tuple[Value, str]:
    return given_before_relapse(a, lambda c: inn in c.drugs, inn)


def _class_before_relapse(a: Assessment, klass: str, label: str) -> tuple[Value, str]:
    return given_before_relapse(
        a, lambda c: any(klass in a.catalogue.classes_of(d) for d in c.drugs), label
    )


def _per_drug(derive: Callable[[Assessment, str], tuple[Value, str]], inn: str) -> Derivation:
    return lambda a: derive(a, inn)


def _per_class(
    derive: Callable[[Assessment, str, str], tuple[Value, str]], klass: str, label: str
) -> Derivation:
    return lambda a: derive(a, klass, label)


def _register() -> None:
    for inn in DRUG_FACTS:
        register(
            FactSpec(
                f"{inn}_exposed",
                _per_drug(drug_exposed, inn),
                EXPOSURE_DEFINITION,
                ("treatments",),
            )
        )
        register(
            FactSpec(
                f"{inn}_given_before_relapse",
                _per_drug(_drug_before_relapse, inn),
                BEFORE_RELAPSE_DEFINITION,
                ("treatments", "progressions"),
            )
        )
        register(
            FactSpec(
                f"{inn}_refractory",
                _per_drug(derived_refractory, inn),
                REFRACTORY_DEFINITION,
                NEEDS,
            )
        )
    for prefix, (klass, label) in CLASS_FACTS.items():
        register(
            FactSpec(
                f"{prefix}_exposed",
                _per_class(class_exposed, klass, label),
                f"{EXPOSURE_DEFINITION}; class: {label}",
                ("treatments",),
                warnings=class_warnings,
            )
        )
        register(
            FactSpec(
                f"{prefix}_given_before_relapse",
                _per_class(_class_before_relapse, klass, label),
                f"{BEFORE_RELAPSE_DEFINITION}; class: {label}",
                ("treatments", "progressions"),
            )
        )
        register(
            FactSpec(
                f"{prefix}_refractory",
                _per_class(class_refractory, klass, label),
                f"refractory to at least one drug of the class ({label}); {REFRACTORY_DEFINITION}",
                NEEDS,
                warnings=class_warnings,
            )
        )


_register()
