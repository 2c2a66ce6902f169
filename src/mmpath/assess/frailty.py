"""Frailty: the IMWG frailty score, or the simplified score when ADL/IADL are unknown.

IMWG frailty score (Palumbo et al., Blood 2015;125:2068), additive 0–5; fit 0,
intermediate 1, frail ≥ 2. Item points, tagged [R — verify] in
shared/reference/clinical-definitions.md: age ≤ 75 → 0, 76–80 → 1, > 80 → 2; Charlson
≥ 2 → 1; Katz ADL ≤ 4 → 1; Lawton IADL ≤ 5 → 1.
Simplified frailty score (Facon et al., Leukemia 2020): age as above; Charlson > 1 → 1;
ECOG 0 → 0, 1 → 1, ≥ 2 → 2; frail when ≥ 2. Used when neither ADL nor IADL is recorded
(a recorded ADL/IADL is never overruled), even with some of its own items unknown: ECOG ≥ 2
alone scores 2 and makes the patient frail.
With some items unknown the score is unknown, but ``frail`` is still decided when the
known points alone reach 2, or the unknown ones could not.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact

FRAIL_FROM = 2
IMWG_NAME = "IMWG frailty score (Palumbo 2015)"


def age_points(age: int) -> int:
    return 0 if age <= 75 else 1 if age <= 80 else 2


def _imwg_items(a: Assessment) -> dict[str, tuple[int | None, int]]:
    """item -> (points or None when unknown, maximum points)."""
    f = a.record.frailty
    charlson = f.charlson_index if f else None
    adl = f.katz_adl if f else None
    iadl = f.lawton_iadl if f else None
    return {
        "age": (None if a.age is None else age_points(a.age), 2),
        "Charlson": (None if charlson is None else int(charlson >= 2), 1),
        "ADL": (None if adl is None else int(adl <= 4), 1),
        "IADL": (None if iadl is None else int(iadl <= 5), 1),
    }


def _simplified_items(a: Assessment) -> dict[str, tuple[int | None, int]]:
    f = a.record.frailty
    charlson = f.charlson_index if f else None
    ecog = a.record.ecog
    return {
        "age": (None if a.age is None else age_points(a.age), 2),
        "Charlson": (None if charlson is None else int(charlson > 1), 1),
        "ECOG": (None if ecog is None else min(ecog, 2), 2),
    }


def _score(items: dict[str, tuple[int | None, int]]) -> tuple[int | None, int, int]:
    known = sum(p for p, _ in items.values() if p is not None)
    unknown_max = sum(m for p, m in items.values() if p is None)
    exact = known if unknown_max == 0 else None
    return exact, known, known + unknown_max


SIMPLIFIED_NAME = "simplified frailty score (Facon 2020; ADL/IADL not recorded)"


def chosen(a: Assessment) -> tuple[str, dict[str, tuple[int | None, int]]]:
    """The score to use: the IMWG score when ADL or IADL is recorded (a recorded ADL/IADL is
    never overruled), the simplified score when neither is (clinical-definitions.md: "Use it
    when ADL/IADL are unknown"). The choice depends only on which instrument's own items are
    recorded, so that removing another item (age, Charlson, ECOG) never switches it."""
    imwg = _imwg_items(a)
    if imwg["ADL"][0] is None and imwg["IADL"][0] is None:
        return SIMPLIFIED_NAME, _simplified_items(a)
    return IMWG_NAME, imwg


def _describe(name: str, items: dict[str, tuple[int | None, int]]) -> str:
    parts = [f"{k} {'?' if p is None else p}" for k, (p, _) in items.items()]
    return f"{name}: " + ", ".join(parts)


@fact(
    "imwg_frailty_score",
    definition="IMWG frailty score 0–5 (Palumbo 2015), or the simplified score (Facon 2020) "
    "when ADL/IADL are not recorded; the why names the score used",
    needs=("birth_date", "frailty", "ecog"),
    kind="number",
)
def imwg_frailty_score(a: Assessment) -> tuple[Value, str]:
    name, items = chosen(a)
    exact, low, high = _score(items)
    text = _describe(name, items)
    if exact is None:
        return None, f"{text} (between {low} and {high})"
    return exact, f"{text} = {exact}"


@fact(
    "frail",
    definition="frailty score ≥ 2 (IMWG, Palumbo 2015; or simplified, Facon 2020)",
    needs=("birth_date", "frailty", "ecog"),
)
def frail(a: Assessment) -> tuple[Value, str]:
    name, items = chosen(a)
    _, low, high = _score(items)
    text = _describe(name, items)
    if low >= FRAIL_FROM:
        return True, f"{text}: at least {low}"
    if high < FRAIL_FROM:
        return False, f"{text}: at most {high}"
    return None, f"{text}: between {low} and {high}"
