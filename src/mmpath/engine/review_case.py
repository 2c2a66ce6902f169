"""Review cases: vignettes written by an independent reviewer from the source alone.

A reviewer who never saw the pack or the code cannot name mmpath's option ids, rule ids
or fact names, so a review case names options by what they are (a drug set, a procedure
code) and facts by the decision summary of the output contract (recommendation-v1,
"Additions in 1.1"). Format (shared/review/independent-clinical-review.md)::

    {"id": "nl-r07", "title": "...", "guideline": "nl-rrmm",
     "cites": [{"quote": "verbatim sentence of the source", "english": "..."}],
     "reasoning": "...", "severity_if_wrong": "dangerous",
     "record": {...patient-record-v1...},
     "expect": {"offered": [["daratumumab", "bortezomib", "dexamethasone"]],
                "not_preferred": [["lenalidomide", "dexamethasone"]],
                "summary": {"prior_lines": 1, "refractory": ["lenalidomide"]}},
     "adjudication": [{"verdict": "reviewer_misread", "reason": "...", "original": {...}}]}

An option is a drug set (list of INNs; matched exactly, else ignoring the steroid) or an
object ``{"drugs": [...], "phase": ...}`` / ``{"procedure": code}`` / ``{"referral":
code}`` / ``{"observation": code}`` / ``{"supportive": code}``. ``cautions_on_drug`` /
``dosing_on_drug`` (``[{"drug": inn, "mentions": fragment}]``) hold for every offered option
that contains the drug, whatever its other drugs: a reviewer can require the caution of a
drug without naming a regimen the source never names. ``adjudication`` records
how a disagreement between the reviewer and mmpath was settled; when an expectation was
corrected, ``original`` keeps what the reviewer first wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import Any

from mmpath.recommendation import CautionOut, OptionOut, RecommendationOut, ResultOut

STEROIDS = frozenset({"dexamethasone", "prednisone", "prednisolone"})
NON_DRUG_KINDS = ("procedure", "referral", "observation", "supportive")
OPTION_LIST_KEYS = (
    "offered",
    "not_offered",
    "preferred",
    "not_preferred",
    "recommended",
    "conditional",
    "excluded",
)
EXPECT_KEYS = frozenset(
    {
        *OPTION_LIST_KEYS,
        "applicable",
        "error",
        "tiers",
        "cautions_on",
        "dosing_on",
        "cautions_on_drug",
        "dosing_on_drug",
        "no_regimen",
        "current_phase",
        "summary",
        "decisions",
        "decisions_complete",
    }
)
DECISION_KEYS = frozenset({"date", "classification", "tier", "line", "phase"})
CLASSIFICATIONS = ("on_pathway", "off_pathway", "undetermined", "not_covered")
SUMMARY_KEYS = frozenset(
    {
        "prior_lines",
        "current_line",
        "relapse_type",
        "refractory",
        "not_refractory",
        "exposed",
        "not_exposed",
        "creatinine_clearance",
        "high_risk",
        "transplant_eligible",
        "frail",
    }
)
CASE_KEYS = frozenset(
    {
        "id",
        "title",
        "guideline",
        "cites",
        "reasoning",
        "severity_if_wrong",
        "record",
        "expect",
        "known_from",
        "adjudication",
    }
)
VERDICTS = frozenset({"mmpath_wrong", "reviewer_misread", "source_ambiguous", "spec_decision"})


def is_review_case(data: dict[str, Any]) -> bool:
    return "cites" in data


def shape_problems(data: dict[str, Any]) -> list[str]:
    """Problems with the case itself (unknown keys, no expectation, no citation)."""
    problems = [f"unknown key {k!r}" for k in sorted(set(data) - CASE_KEYS)]
    expect = data.get("expect")
    if not isinstance(expect, dict) or not expect:
        problems.append("has no expectation (expect: {...})")
        expect = {}
    problems += [f"expect: unknown key {k!r}" for k in sorted(set(expect) - EXPECT_KEYS)]
    summary = expect.get("summary", {})
    if not isinstance(summary, dict):
        problems.append("expect.summary: expected an object")
    else:
        problems += [
            f"expect.summary: unknown key {k!r}" for k in sorted(set(summary) - SUMMARY_KEYS)
        ]
    if "error" in expect and set(expect) - {"error"}:
        problems.append("expect: an `error` case expects nothing else")
    if "decisions" in expect:
        problems += _decision_shape(expect)
    elif "decisions_complete" in expect or "known_from" in data:
        problems.append("decisions_complete and known_from belong to a `decisions` case")
    cites = data.get("cites")
    if not isinstance(cites, list) or not cites:
        problems.append("cites no source sentence (cites: [{quote, english}])")
    else:
        for i, cite in enumerate(cites):
            if not isinstance(cite, dict) or not cite.get("quote") or not cite.get("english"):
                problems.append(f"cites[{i}]: needs quote and english")
            elif cite.get("document", DEFINITIONS) != DEFINITIONS:
                problems.append(
                    f"cites[{i}]: document is {DEFINITIONS!r} or absent (the guideline's source)"
                )
    if not data.get("title"):
        problems.append("has no title")
    for i, item in enumerate(data.get("adjudication") or []):
        if item.get("verdict") not in VERDICTS or not item.get("reason"):
            problems.append(
                f"adjudication[{i}]: needs verdict ({', '.join(sorted(VERDICTS))}) and reason"
            )
    return problems


def _decision_shape(expect: dict[str, Any]) -> list[str]:
    problems = [
        f"expect: a `decisions` case expects nothing else (got {k!r})"
        for k in sorted(set(expect) - {"decisions", "decisions_complete"})
    ]
    decisions = expect["decisions"]
    if not isinstance(decisions, list) or not decisions:
        return [*problems, "expect.decisions: expected a non-empty list"]
    for i, item in enumerate(decisions):
        where = f"expect.decisions[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object")
            continue
        problems += [f"{where}: unknown key {k!r}" for k in sorted(set(item) - DECISION_KEYS)]
        if not isinstance(item.get("date"), str):
            problems.append(f"{where}.date: expected a date (YYYY-MM-DD)")
        if "classification" in item and item["classification"] not in CLASSIFICATIONS:
            problems.append(f"{where}.classification: expected one of {', '.join(CLASSIFICATIONS)}")
    return problems


DEFINITIONS = "clinical-definitions.md"
"""The one document a cite may name besides the guideline's source (``"document"``): the
clinical definitions a reviewer reads, shipped as ``mmpath/reference/clinical-definitions.md``
(a copy of shared/reference/clinical-definitions.md, held equal by a test)."""


def definitions_text() -> str:
    return resources.files("mmpath").joinpath("reference", DEFINITIONS).read_text("utf-8")


def quotes(data: dict[str, Any], document: str | None = None) -> list[str]:
    """The quotes of the case's cites from ``document`` (None: the guideline's source)."""
    return [
        c["quote"]
        for c in data.get("cites") or []
        if isinstance(c, dict) and c.get("quote") and c.get("document") == document
    ]


# -- options --------------------------------------------------------------------------------
def _describe(want: Any) -> str:
    if isinstance(want, list):
        return "+".join(sorted(want))
    if isinstance(want, dict):
        parts = [
            f"{k}={'+'.join(sorted(v)) if isinstance(v, list) else v}" for k, v in want.items()
        ]
        return "{" + ", ".join(sorted(parts)) + "}"
    return repr(want)


def _wanted(want: Any) -> tuple[str, Any, str | None]:
    """(kind, key, phase) of an expected option: ("drugs", frozenset, phase) or (kind, code, phase)."""
    if isinstance(want, list):
        return "drugs", frozenset(want), None
    if isinstance(want, dict):
        phase = want.get("phase")
        if "drugs" in want:
            return "drugs", frozenset(want["drugs"]), phase
        for kind in NON_DRUG_KINDS:
            if kind in want:
                return kind, want[kind], phase
    raise ValueError(f"not an option: {want!r}")


def _code(option: OptionOut) -> str:
    return option.procedure if option.kind == "procedure" and option.procedure else option.id


def find(items: Iterable[Any], want: Any) -> list[Any]:
    """The options (or exclusions) that match ``want``: exact drug set first, then the same
    set without steroids; non-drug options by kind and code; phase when given."""
    kind, key, phase = _wanted(want)
    # an exclusion has no phase (recommendation-v1): a phase names which option is meant
    pool = [o for o in items if phase is None or getattr(o, "phase", phase) == phase]
    if kind != "drugs":
        found = [o for o in pool if o.kind == kind and (_code(o) == key or o.id == key)]
        if not found and (kind, key) == ("procedure", "autologous_sct"):
            # high-dose melphalan with stem-cell support IS the autologous SCT (seed 003
            # "højdosis melphalan med stamcellestøtte (HDT)"); the dk pack names it so
            found = [o for o in pool if o.kind == kind and _code(o) == "high_dose_melphalan"]
        return found
    with_drugs = [o for o in pool if o.drugs]
    exact = [o for o in with_drugs if frozenset(o.drugs) == key]
    if exact:
        return exact
    bare = key - STEROIDS
    return [o for o in with_drugs if frozenset(o.drugs) - STEROIDS == bare and bare]


def _texts(cautions: list[CautionOut]) -> str:
    return " | ".join(c.text for c in cautions if c.applies is not False)


def check(
    out: RecommendationOut,
    expect: dict[str, Any],
    failures: list[str],
    vacuous: list[str],
) -> tuple[set[str], int]:
    """Check ``expect`` against the first result; returns (asserted rule ids, checks made).
    ``vacuous`` collects the checks that held only because there was nothing to check."""
    result: ResultOut = out.results[0]
    options = result.options
    asserted: set[str] = set()
    checks = 0

    def present(want: Any, where: str) -> list[OptionOut]:
        found = find(options, want)
        if not found:
            failures.append(f"{where} {_describe(want)}: not offered (offered: {_offered(result)})")
        return found

    def credit(found: list[OptionOut]) -> None:
        for option in found:
            asserted.update(f"rule:{r}" for r in option.rules)

    if "applicable" in expect:
        checks += 1
        if result.applicable != expect["applicable"]:
            failures.append(f"applicable: {result.applicable}, expected {expect['applicable']}")
    for want in expect.get("offered", []):
        checks += 1
        credit(present(want, "offered"))
    for want in expect.get("not_offered", []):
        checks += 1
        if find(options, want):
            failures.append(f"not_offered {_describe(want)}: offered")
    for want in expect.get("preferred", []):
        checks += 1
        found = present(want, "preferred")
        good = [o for o in found if o.tier == "preferred" and o.status == "recommended"]
        if found and not good:
            failures.append(f"preferred {_describe(want)}: shown as {_shown(found)}")
        credit(good)
    for want in expect.get("not_preferred", []):
        checks += 1
        bad = [
            o for o in find(options, want) if o.tier == "preferred" and o.status == "recommended"
        ]
        if bad:
            failures.append(f"not_preferred {_describe(want)}: shown as preferred, recommended")
    for status in ("recommended", "conditional"):
        for want in expect.get(status, []):
            checks += 1
            found = present(want, status)
            good = [o for o in found if o.status == status]
            if found and not good:
                failures.append(f"{status} {_describe(want)}: shown as {_shown(found)}")
            credit(good)
    for tier, wants in expect.get("tiers", {}).items():
        for want in wants:
            checks += 1
            found = present(want, f"tiers.{tier}")
            good = [o for o in found if o.tier == tier]
            if found and not good:
                failures.append(f"tiers.{tier} {_describe(want)}: shown as {_shown(found)}")
            credit(good)
    for want in expect.get("excluded", []):
        checks += 1
        hits = find(result.excluded, want)
        if not hits:
            failures.append(
                f"excluded {_describe(want)}: not listed (excluded: "
                f"{', '.join(e.id for e in result.excluded) or 'none'})"
            )
        asserted.update(e.by for e in hits if e.by and e.by != "contraindication")
    for group, attr in (("cautions_on", "cautions"), ("dosing_on", "dosing")):
        for item in expect.get(group, []):
            checks += 1
            found = present(item["option"], group)
            fragment = item.get("mentions", "").lower()
            texts = [_texts(getattr(o, attr)) for o in found]
            if found and not any(fragment in t.lower() for t in texts):
                failures.append(
                    f"{group} {_describe(item['option'])}: no {attr[:-1]} mentions "
                    f"{fragment!r} (got: {' || '.join(texts) or 'none'})"
                )
            for o in found:
                asserted.update(f"caution:{c.id}" for c in getattr(o, attr))
    for group, attr in (("cautions_on_drug", "cautions"), ("dosing_on_drug", "dosing")):
        for item in expect.get(group, []):
            checks += 1
            drug, fragment = item["drug"], item.get("mentions", "").lower()
            if not any(drug in (o.drugs or ()) for o in options):
                vacuous.append(f"{group} {drug}: no offered option contains it (nothing checked)")
            for o in options:
                if drug not in (o.drugs or ()):
                    continue
                text = _texts(getattr(o, attr))
                if fragment not in text.lower():
                    failures.append(
                        f"{group} {drug}: option {o.id} has no {attr[:-1]} mentioning "
                        f"{fragment!r} (got: {text or 'none'})"
                    )
                asserted.update(f"caution:{c.id}" for c in getattr(o, attr))
    if "no_regimen" in expect:
        checks += 1
        empty = getattr(result, "empty_branch", None)
        regimens = [o for o in options if o.kind == "regimen" and o.status == "recommended"]
        if expect["no_regimen"] and (empty is None or regimens):
            failures.append(
                "no_regimen: expected the output to say no regimen applies "
                f"(empty_branch: {empty}, recommended regimens: {[o.id for o in regimens]})"
            )
        if not expect["no_regimen"] and empty is not None:
            failures.append(f"no_regimen false: output says the branch is empty ({empty})")
    if "current_phase" in expect:
        # the patient's own phase (fact pathway_phase); the plan may mark an earlier phase
        # "current" too, alongside it (an option the guideline still recommends there)
        checks += 1
        current = [s.phase for s in result.pathway or [] if s.status == "current"]
        shown = result.facts.get("pathway_phase")
        phases = [s.phase for s in result.pathway or []]
        own = (
            shown.value
            if shown is not None and shown.value in phases
            else (current[0] if len(current) == 1 else None)  # "none": due for the first step
        )
        if own != expect["current_phase"] or own not in current:
            failures.append(
                f"current_phase: {own!r} (current steps {current}), "
                f"expected {expect['current_phase']!r}"
            )
    checks += _check_summary(out, expect.get("summary", {}), failures)
    return asserted, checks


def _offered(result: ResultOut) -> str:
    return (
        ", ".join(
            f"{o.id}({o.tier[:4]}{'?' if o.status == 'conditional' else ''})"
            for o in result.options
        )
        or "none"
    )


def _shown(found: list[OptionOut]) -> str:
    return ", ".join(f"{o.id}: {o.tier}, {o.status}" for o in found)


def _check_summary(out: RecommendationOut, want: dict[str, Any], failures: list[str]) -> int:
    if not want:
        return 0
    summary = getattr(out, "summary", None)
    if not summary:
        failures.append("summary: the output has no decision summary")
        return len(want)

    def item(name: str) -> tuple[Any, str]:
        entry = summary.get(name)
        if entry is None:
            return None, f"(summary has no {name})"
        return entry.value, entry.why

    for name in ("prior_lines", "current_line", "relapse_type", "transplant_eligible", "frail"):
        if name in want:
            value, why = item(name)
            if value != want[name]:
                failures.append(f"summary.{name}: {value!r}, expected {want[name]!r} ({why})")
    if "high_risk" in want:
        value, why = item("risk")
        expected = {True: "high", False: "standard", None: None}[want["high_risk"]]
        if value != expected:
            failures.append(f"summary.risk: {value!r}, expected {expected!r} ({why})")
    for name, positive in (
        ("refractory", True),
        ("not_refractory", False),
        ("exposed", True),
        ("not_exposed", False),
    ):
        if name not in want:
            continue
        listed, why = item(name.removeprefix("not_"))
        have = set(listed or [])
        for entry in want[name]:
            if (entry in have) != positive:
                verb = "lacks" if positive else "lists"
                failures.append(f"summary.{name.removeprefix('not_')} {verb} {entry!r} ({why})")
    if "creatinine_clearance" in want:
        value, why = item("creatinine_clearance")
        expected = want["creatinine_clearance"]
        if expected == "dialysis" or expected is None:
            ok = value == expected
        else:
            low, high = expected
            ok = isinstance(value, int | float) and low <= value <= high
        if not ok:
            failures.append(
                f"summary.creatinine_clearance: {value!r}, expected {expected!r} ({why})"
            )
    return len(want)


# -- decisions (registry concordance) ---------------------------------------------------------
def check_decisions(rows: list[dict[str, Any]], expect: dict[str, Any], failures: list[str]) -> int:
    """Check the expected classification of each decision of a whole history (``rows``: the
    cohort evaluation's per-decision rows for one guideline); returns the checks made.

    An expected decision is found by its date, and its phase when given (a first-line
    pathway has several decisions on one day only if the reviewer names the phase).
    ``decisions_complete``: mmpath finds exactly the listed decisions, no more."""
    checks = 0
    for item in expect["decisions"]:
        day, phase = item["date"], item.get("phase")
        label = day + (f" ({phase})" if phase else "")
        found = [
            r
            for r in rows
            if r["decision_date"].isoformat() == day and (phase is None or r["phase"] == phase)
        ]
        if not found:
            failures.append(f"decision {label}: not a decision point (found: {_dates(rows)})")
            continue
        if len(found) > 1:
            failures.append(
                f"decision {label}: {len(found)} decisions that day "
                f"({', '.join(str(r['phase']) for r in found)}); name the phase"
            )
            continue
        row = found[0]
        for key, column in (
            ("classification", "classification"),
            ("tier", "tier"),
            ("line", "line"),
            ("phase", "phase"),
        ):
            if key in item:
                checks += 1
                if row[column] != item[key]:
                    failures.append(
                        f"decision {label}: {key} {row[column]!r}, expected {item[key]!r} "
                        f"({_row_text(row)})"
                    )
    if expect.get("decisions_complete"):
        checks += 1
        listed = {(i["date"], i.get("phase")) for i in expect["decisions"]}
        extra = [
            r
            for r in rows
            if (r["decision_date"].isoformat(), r["phase"]) not in listed
            and (r["decision_date"].isoformat(), None) not in listed
        ]
        failures += [f"decision {r['decision_date']}: not expected ({_row_text(r)})" for r in extra]
    return checks


def _dates(rows: list[dict[str, Any]]) -> str:
    return (
        ", ".join(f"{r['decision_date']}{' ' + r['phase'] if r['phase'] else ''}" for r in rows)
        or "none"
    )


def _row_text(row: dict[str, Any]) -> str:
    parts = [
        f"line {row['line']}",
        str(row["action"]),
        str(row["classification"]) + (f" {row['tier']}" if row["tier"] else ""),
        str(row["detail"]),
    ]
    if row["unknown_facts"]:
        parts.append("unknown: " + ", ".join(row["unknown_facts"]))
    return "; ".join(parts)
