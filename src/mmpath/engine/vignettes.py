"""Vignettes: clinical test cases for a pack (tests/vignettes/<pack>/*.json).

A vignette is a patient record with the options, exclusions, facts, cautions and notes
a guideline gives for it, and the quote keys of the sentences it exercises::

    {"title": "...", "guideline": "nl-rrmm", "exercises": ["s1-dara-naive", "dvd"],
     "record": {...patient-record-v1...},
     "expect": {"applicable": true,
                "options": [{"id": "DVd", "tier": "preferred", "status": "recommended"}, ...],
                "options_complete": true,
                "absent": ["KRd"], "excluded": {"DKd": "reimbursed"},
                "facts": {"lenalidomide_refractory": true},
                "asserted": ["lenalidomide_refractory"],
                "cautions": {"Kd": ["carfilzomib-heart-failure"]},
                "cautions_unknown": {"KRd": ["carfilzomib-heart-failure"]},
                "dosing": {"RAD": ["lenalidomide-crcl-30-60"]},
                "availability": {"belantamab mafodotin": ["not_reimbursed"]},
                "notes": ["dara-two-branches"], "missing": ["frail"],
                "pathway": {"induction": "current", "transplant": "upcoming"}}}

With ``options_complete`` (the default) the options must be exactly those listed. Options
that carry a phase (pathway packs) are named ``id@phase``, e.g. ``D-VRd@induction``.
An option's ``tier_if`` is the better tier a still-unknown fact would give it (``null``:
none). ``asserted`` names facts the output must mark as asserted by the clinician;
``availability`` lists availability statuses an option must carry;
``cautions`` / ``dosing`` list notes that apply, ``cautions_unknown`` cautions shown as
unknown (their condition cannot be decided for this patient).

Independent reviewers write a second format that names options by drug set and facts by
the decision summary (``review_case``); a file with ``cites`` is one of those. Both are
validated before they run: an unknown key or an empty ``expect`` is a failure. Each
outcome records what the vignette *asserted* (the rules behind the options it checked,
the constraints behind the exclusions it checked, the cautions and notes it named), which
is what lint's coverage counts: a rule that merely fired is not tested.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmpath.engine import review_case
from mmpath.engine.packs import UnknownGuideline, get_pack, source_text
from mmpath.engine.verbatim import appears
from mmpath.recommendation import ResultOut
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.service import recommend


@dataclass
class VignetteOutcome:
    path: Path
    guideline: str
    failures: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    asserted: set[str] = field(default_factory=set)
    """rule:, constraint:, caution:, note: ids whose outcome a passing check depends on"""
    review: bool = False
    vacuous: list[str] = field(default_factory=list)
    """review checks that held because there was nothing to check (e.g. a drug-level
    caution check when no offered option has the drug)"""

    @property
    def passed(self) -> bool:
        return not self.failures


VIGNETTE_KEYS = frozenset({"title", "guideline", "exercises", "record", "expect", "comment"})
EXPECT_KEYS = frozenset(
    {
        "applicable",
        "options",
        "options_complete",
        "absent",
        "excluded",
        "facts",
        "asserted",
        "cautions",
        "cautions_unknown",
        "dosing",
        "availability",
        "notes",
        "pathway",
        "missing",
    }
)
OPTION_KEYS = frozenset({"id", "tier", "status", "phase", "current_step", "requires", "tier_if"})


def _shape_problems(data: dict[str, Any]) -> list[str]:
    problems = [f"unknown key {k!r}" for k in sorted(set(data) - VIGNETTE_KEYS)]
    expect = data.get("expect")
    if not isinstance(expect, dict) or not (set(expect) - {"options_complete"}):
        return [*problems, "has no expectation (expect: {...})"]
    problems += [f"expect: unknown key {k!r}" for k in sorted(set(expect) - EXPECT_KEYS)]
    for i, want in enumerate(expect.get("options", [])):
        problems += [
            f"expect.options[{i}]: unknown key {k!r}" for k in sorted(set(want) - OPTION_KEYS)
        ]
    return problems


def _check(
    result: ResultOut, expect: dict[str, Any], failures: list[str], asserted: set[str]
) -> None:
    if "applicable" in expect and result.applicable != expect["applicable"]:
        failures.append(f"applicable: expected {expect['applicable']}, got {result.applicable}")
    # Options of pathway packs are keyed "id@phase" (the same regimen may recur by phase).
    got = {(f"{o.id}@{o.phase}" if o.phase else o.id): o for o in result.options}
    for want in expect.get("options", []):
        option = got.get(want["id"])
        if option is None:
            failures.append(f"option {want['id']}: missing (got {sorted(got)})")
            continue
        asserted.update(f"rule:{r}" for r in option.rules)
        for key in ("tier", "status", "phase", "current_step"):
            if key in want and getattr(option, key) != want[key]:
                failures.append(
                    f"option {want['id']}: {key} {getattr(option, key)!r}, expected {want[key]!r}"
                )
        if "tier_if" in want:
            better = option.tier_if.tier if option.tier_if is not None else None
            if better != want["tier_if"]:
                failures.append(
                    f"option {want['id']}: tier_if {better!r}, expected {want['tier_if']!r}"
                )
        for fact_name in want.get("requires", []):
            if fact_name not in option.requires:
                failures.append(
                    f"option {want['id']}: requires lacks {fact_name} ({option.requires})"
                )
    if expect.get("options_complete", True) and "options" in expect:
        extra = sorted(set(got) - {w["id"] for w in expect["options"]})
        if extra:
            failures.append(f"unexpected options: {extra}")
    for oid in expect.get("absent", []):
        if oid in got:
            failures.append(f"option {oid}: should be absent")
    excluded = {e.id: e for e in result.excluded}
    for oid, fragment in expect.get("excluded", {}).items():
        if oid not in excluded:
            failures.append(f"excluded {oid}: missing (got {sorted(excluded)})")
            continue
        by = excluded[oid].by
        if by and by != "contraindication":
            asserted.add(by)
        if fragment.lower() not in excluded[oid].reason.lower():
            failures.append(f"excluded {oid}: reason {excluded[oid].reason!r} lacks {fragment!r}")
    for name, value in expect.get("facts", {}).items():
        if name not in result.facts:
            failures.append(f"fact {name}: not read by the guideline")
        elif result.facts[name].value != value:
            failures.append(
                f"fact {name}: {result.facts[name].value!r}, expected {value!r} ({result.facts[name].why})"
            )
    for name in expect.get("asserted", []):
        if name in result.facts and not result.facts[name].asserted:
            failures.append(f"fact {name}: not marked as asserted")
    for group, attr, state in (
        ("cautions", "cautions", True),
        ("dosing", "dosing", True),
        ("cautions_unknown", "cautions", None),
    ):
        for oid, ids in expect.get(group, {}).items():
            if oid not in got:
                failures.append(f"{group} on {oid}: option missing")
                continue
            have = {c.id for c in getattr(got[oid], attr) if c.applies is state}
            for cid in ids:
                if cid not in have:
                    failures.append(f"{group} on {oid}: {cid} missing (got {sorted(have)})")
                else:
                    asserted.add(f"caution:{cid}")
    for oid, statuses in expect.get("availability", {}).items():
        if oid not in got:
            failures.append(f"availability on {oid}: option missing")
            continue
        have_status = {a.status for a in got[oid].availability}
        failures += [
            f"availability on {oid}: {status} missing (got {sorted(map(str, have_status))})"
            for status in statuses
            if status not in have_status
        ]
    applied = {n.id for n in result.annotations if n.applies}
    for nid in expect.get("notes", []):
        if nid not in applied:
            failures.append(f"note {nid}: missing (got {sorted(applied)})")
        else:
            asserted.add(f"note:{nid}")
    steps = {s.phase: s.status for s in result.pathway or []}
    for phase, status in expect.get("pathway", {}).items():
        if steps.get(phase) != status:
            failures.append(f"pathway {phase}: {steps.get(phase)!r}, expected {status!r}")
    missing = {m.fact for m in result.missing}
    for name in expect.get("missing", []):
        if name not in missing:
            failures.append(f"missing {name}: not listed (got {sorted(missing)})")


def run_vignette(path: Path, guideline: str | None = None) -> VignetteOutcome:
    """Run one vignette; its guideline is the file's ``guideline``, else ``guideline``,
    else the name of the folder it is in (``tests/vignettes/<id>/``)."""
    data = json.loads(path.read_text("utf-8"))
    guideline = data.get("guideline", guideline or path.parent.name)
    outcome = VignetteOutcome(path, guideline, review=review_case.is_review_case(data))
    try:
        pack = get_pack(guideline)
    except UnknownGuideline:
        outcome.failures.append(f"unknown guideline {guideline!r}")
        return outcome
    if outcome.review:
        outcome.failures += review_case.shape_problems(data)
        source = source_text(pack)
        outcome.failures += [
            f"cites a quote that is not verbatim in {pack.source_document}: {q[:80]!r}"
            for q in review_case.quotes(data)
            if not appears(q, source)
        ]
        cited = review_case.quotes(data, review_case.DEFINITIONS)
        definitions = review_case.definitions_text() if cited else ""
        outcome.failures += [
            f"cites a quote that is not verbatim in {review_case.DEFINITIONS}: {q[:80]!r}"
            for q in cited
            if not appears(q, definitions)
        ]
    else:
        outcome.failures += _shape_problems(data)
        exercises = data.get("exercises") or []
        if not exercises:
            outcome.failures.append("names no sentence it exercises (exercises: [quote keys])")
        outcome.failures += [
            f"exercises unknown quote key {k!r}" for k in exercises if k not in pack.quotes
        ]
        if not data.get("title"):
            outcome.failures.append("has no title")
    if outcome.failures:
        return outcome
    expect = data["expect"]
    if outcome.review and "decisions" in expect:
        _run_decisions(data, guideline, outcome)
        return outcome
    try:
        record = parse_record(data["record"])
        out = recommend(record, guideline)
    except RecordError as error:
        wanted = expect.get("error") if outcome.review else None
        if wanted is None:
            outcome.failures += [f"record: {p}" for p in error.problems]
        elif not any(_error_matches(p.path, p.message, wanted) for p in error.problems):
            outcome.failures.append(
                f"error: no problem at {wanted.get('path')!r} mentioning "
                f"{wanted.get('mentions', '')!r} (got: {'; '.join(map(str, error.problems))})"
            )
        return outcome
    if outcome.review and "error" in expect:
        outcome.failures.append(
            f"error: the record was accepted; expected a problem at {expect['error'].get('path')!r}"
        )
        return outcome
    result = out.results[0]
    outcome.fired = result.fired
    if outcome.review:
        outcome.asserted, _ = review_case.check(out, expect, outcome.failures, outcome.vacuous)
    else:
        _check(result, expect, outcome.failures, outcome.asserted)
    return outcome


def _error_matches(path: str, message: str, wanted: dict[str, Any]) -> bool:
    """A refused record matches when the paths agree (one may be the other's parent)."""
    want_path = wanted.get("path", "")
    same = path == want_path or any(
        longer.startswith(shorter + sep)
        for longer, shorter in ((path, want_path), (want_path, path))
        for sep in (".", "[")
    )
    return same and wanted.get("mentions", "").lower() in message.lower()


def run_folder(root: Path) -> list[VignetteOutcome]:
    return [run_vignette(p) for p in sorted(root.glob("*/*.json"))]


def _run_decisions(data: dict[str, Any], guideline: str, outcome: VignetteOutcome) -> None:
    """A review case of a whole history: every decision judged as of its date by the cohort
    evaluation (``mmpath.cohort``), against the reviewer's classification of each."""
    from mmpath.cohort.backend import evaluate_patient
    from mmpath.cohort.from_record import NotAnExtract, patient_data

    try:
        record = parse_record(data["record"])
    except RecordError as error:
        outcome.failures += [f"record: {p}" for p in error.problems]
        return
    known_from: dict[str, dt.date] = {}
    for key, value in (data.get("known_from") or {}).items():
        try:
            known_from[key] = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            outcome.failures.append(f"known_from.{key}: expected a date (YYYY-MM-DD)")
    if outcome.failures:
        return
    try:
        patient = patient_data(record, known_from)
    except NotAnExtract as error:
        outcome.failures.append(f"record: {error}")
        return
    result = evaluate_patient(patient, [guideline])
    if result.problems:
        outcome.failures += [f"as-of record: {p}" for p in result.problems]
        return
    review_case.check_decisions(result.rows, data["expect"], outcome.failures)
