"""A decision recorded for an audited recommendation: checked the same way for the API
and the web page (recommendation-v1 "Additions in 1.1": ``decision`` =
``{option_id | regimen, pathway: on | off, reason, reason_text, by, at}``).

Rules: exactly one of ``option_id`` (an option of the audited answer) or ``regimen``
(another regimen, free text); ``pathway`` is ``on`` or ``off``; an off-pathway decision
needs a ``reason`` from :data:`~mmpath.store.decisions.REASONS`, and ``other`` needs
``reason_text``; ``at`` is a date or date-time (default: now); ``by`` who decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mmpath.recommendation import RecommendationOut
from mmpath.record.errors import Problem, RecordError
from mmpath.store.decisions import REASONS
from mmpath.store.store import current_actor

MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class DecisionIn:
    pathway: Literal["on", "off"]
    option_id: str | None
    regimen: str | None
    reason: str | None
    reason_text: str | None
    by: str | None
    at: dt.datetime


def option_ids(output: RecommendationOut) -> dict[str, str]:
    """Option id -> its name, over every guideline of the answer (first name wins),
    options and excluded ones (choosing an excluded one is off-pathway)."""
    found: dict[str, str] = {}
    for result in output.results:
        for option in result.options:
            found.setdefault(option.id, option.name or option.id)
        for excluded in result.excluded:
            found.setdefault(excluded.id, excluded.name or excluded.id)
    return found


def recommended_ids(output: RecommendationOut) -> set[str]:
    """Options a guideline that applies (or may) offers: choosing one is on-pathway."""
    return {o.id for r in output.results if r.applicable is not False for o in r.options}


def _text(data: Mapping[str, Any], key: str, problems: list[Problem]) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        problems.append(Problem(key, "expected text"))
        return None
    value = value.strip()
    if len(value) > MAX_TEXT:
        problems.append(Problem(key, f"longer than {MAX_TEXT} characters"))
    return value or None


def _when(value: Any, problems: list[Problem], now: dt.datetime) -> dt.datetime:
    if value is None or value == "":
        return now
    if isinstance(value, str):
        try:
            if len(value) == 10:
                day = dt.date.fromisoformat(value)
                return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    problems.append(Problem("at", "expected a date (YYYY-MM-DD) or date-time (ISO 8601)"))
    return now


def parse_decision(
    data: Any, output: RecommendationOut, *, now: dt.datetime | None = None
) -> DecisionIn:
    """The decision in ``data`` (a JSON object or form fields), or ``RecordError`` listing
    every problem by field name."""
    now = now or dt.datetime.now(dt.UTC)
    if not isinstance(data, Mapping):
        raise RecordError([Problem("", "expected a JSON object")])
    problems: list[Problem] = []
    known = {"option_id", "regimen", "pathway", "reason", "reason_text", "by", "at"}
    problems += [Problem(str(k), "unknown field") for k in data if k not in known]
    option_id = _text(data, "option_id", problems)
    regimen = _text(data, "regimen", problems)
    reason_text = _text(data, "reason_text", problems)
    # who decided: as given, else the signed-in user (issue 11)
    by = _text(data, "by", problems) or current_actor.get()
    if option_id and regimen:
        problems.append(Problem("regimen", "give the chosen option or another regimen, not both"))
    elif not option_id and not regimen:
        problems.append(Problem("option_id", "choose an option, or name another regimen"))
    elif option_id and option_id not in option_ids(output):
        problems.append(Problem("option_id", f"{option_id!r} is not an option of this answer"))
    pathway = data.get("pathway")
    if pathway not in ("on", "off"):
        problems.append(Problem("pathway", "expected 'on' (on pathway) or 'off' (off pathway)"))
    reason = _text(data, "reason", problems)
    if reason is not None and reason not in REASONS:
        problems.append(Problem("reason", f"expected one of {', '.join(REASONS)}"))
    if pathway == "off" and reason is None:
        problems.append(Problem("reason", "an off-pathway decision needs a reason"))
    if pathway == "on" and reason is not None:
        problems.append(Problem("reason", "a reason is given only for an off-pathway decision"))
    if reason == "other" and not reason_text:
        problems.append(Problem("reason_text", "say what the other reason is"))
    at = _when(data.get("at"), problems, now)
    if problems:
        raise RecordError(problems)
    assert pathway in ("on", "off")
    return DecisionIn(pathway, option_id, regimen, reason, reason_text, by, at)
