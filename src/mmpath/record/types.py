"""Strict scalar types for the patient record (patient-record-v1).

Validation is strict on purpose: a number is not a date, a string is not a number,
a boolean is not an integer. Dates must be ISO ``YYYY-MM-DD`` strings (or ``date``
objects, which YAML produces for unquoted ISO dates); datetimes are refused. Messages
do not repeat the offending value: the problem report appends it as "(got ...)".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)
"""Dates outside this range are typing errors in a myeloma record (and would overflow the
date arithmetic of the timeline)."""


def _parse_iso_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date YYYY-MM-DD, got a date-time")
    if isinstance(value, dt.date):
        return _in_range(value)
    if not isinstance(value, str):
        raise ValueError("expected a date as a string YYYY-MM-DD")
    if not _ISO_DATE.match(value):
        raise ValueError(date_format_problem(value))
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("expected a valid calendar date YYYY-MM-DD") from None
    return _in_range(parsed)


_PARTIAL = re.compile(r"^\d{1,4}(-(\d{1,2}(-)?)?)?$")
_SHORT_PARTS = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_DAY_FIRST = re.compile(r"^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
_LONG_YEAR = re.compile(r"^\d{5,}-\d{1,2}-\d{1,2}$")


def date_format_problem(text: str) -> str:
    """What is wrong with a string that is not ``YYYY-MM-DD``, in words (a half-typed
    date, a one-digit month, day-first order, a five-digit year)."""
    stripped = text.strip()
    if _PARTIAL.match(stripped):
        return "expected a date YYYY-MM-DD: the date is incomplete (year, month and day)"
    if _SHORT_PARTS.match(stripped):
        return "expected a date YYYY-MM-DD: month and day need two digits, e.g. 2024-03-01"
    if _DAY_FIRST.match(stripped):
        return "expected a date YYYY-MM-DD: the year comes first, e.g. 2024-03-14"
    if _LONG_YEAR.match(stripped):
        return "expected a date YYYY-MM-DD: the year has more than four digits"
    return "expected a date YYYY-MM-DD"


def _in_range(day: dt.date) -> dt.date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"expected a date between {EARLIEST} and {LATEST}")
    return day


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_parse_iso_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _ISO_DATE.pattern}),
]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        raise ValueError("expected a finite number") from None
    if not math.isfinite(number):  # YAML .inf/.nan, or a form's "Infinity"
        raise ValueError("expected a finite number")
    return number


Number = Annotated[float, BeforeValidator(_number), WithJsonSchema({"type": "number"})]
NonNegative = Annotated[Number, Field(ge=0)]
Fraction = Annotated[Number, Field(ge=0, le=1)]
