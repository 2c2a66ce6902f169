"""Reading FHIR data types into plain values: dates, codings, quantities, references.

Dates: a FHIR ``dateTime`` is taken at the calendar date written in it (its own offset;
no conversion to another time zone). A partial date (``2024`` or ``2024-03``) becomes
the first day of the period and is reported as a guess by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mmpath.fhir import codes


@dataclass(frozen=True, slots=True)
class Day:
    date: dt.date
    partial: bool  # the source gave only a year or a year and month


def day_of(value: Any) -> Day | None:
    """A FHIR date / dateTime / instant value as a :class:`Day` (None when absent)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return Day(value.date(), False)
    if isinstance(value, dt.date):
        return Day(value, False)
    text = str(value)
    try:
        if len(text) == 4:
            return Day(dt.date(int(text), 1, 1), True)
        if len(text) == 7:
            return Day(dt.date(int(text[:4]), int(text[5:7]), 1), True)
        return Day(dt.date.fromisoformat(text[:10]), False)
    except ValueError:
        return None


def period_days(period: Any) -> tuple[Day | None, Day | None]:
    if period is None:
        return None, None
    return day_of(period.start), day_of(period.end)


@dataclass(frozen=True, slots=True)
class Code:
    system: str | None
    code: str | None
    display: str | None

    def label(self) -> str:
        system = codes.SYSTEM_NAMES.get(self.system or "", self.system or "no system")
        shown = f" {self.display!r}" if self.display else ""
        return f"{system} {self.code}{shown}"


def codings(concept: Any) -> list[Code]:
    """The codings of a CodeableConcept (empty when absent)."""
    if concept is None:
        return []
    return [Code(c.system, c.code, c.display) for c in concept.coding or []]


def concept_text(concept: Any) -> str | None:
    return None if concept is None else concept.text


def texts(concept: Any) -> Iterator[str]:
    """Every human text of a CodeableConcept: its text, then each coding's display."""
    if concept is None:
        return
    if concept.text:
        yield concept.text
    for c in concept.coding or []:
        if c.display:
            yield c.display


def first_code(concept: Any, table: dict[tuple[str, str], Any]) -> tuple[Code, Any] | None:
    """The first coding of ``concept`` found in ``table`` (keyed by (system, code))."""
    for c in codings(concept):
        if c.system and c.code and (c.system, c.code) in table:
            return c, table[(c.system, c.code)]
    return None


def describe(concept: Any) -> str:
    """A short description of a CodeableConcept for the report (codes, not values)."""
    found = [c.label() for c in codings(concept)]
    text = concept_text(concept)
    if text and not found:
        found.append(f"text {text[:60]!r}")
    return "; ".join(found[:3]) or "no code and no text"


def number(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


def reference_of(ref: Any) -> str | None:
    """``Patient/123`` or ``urn:uuid:...`` from a Reference (None when absent)."""
    if ref is None or ref.reference is None:
        return None
    return str(ref.reference)


def any_text(values: Iterable[str | None]) -> str | None:
    for value in values:
        if value:
            return value
    return None
