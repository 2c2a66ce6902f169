"""``timeline.months_after`` and ``timeline.elapsed`` agree with dateutil's relativedelta.

The fact layer computes calendar-month boundaries itself (issue 12: relativedelta was its
most frequent date step); these tests hold it to relativedelta's results, the reading the
facts were written against: month ends clamped, leap days, negative spans.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from mmpath.assess.timeline import elapsed, months_after

DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31))


def reference_elapsed(start: dt.date, end: dt.date) -> str:
    span = relativedelta(end, start)
    months = span.years * 12 + span.months
    return f"{months} months {span.days} days" if span.days else f"{months} months"


@given(DATES, st.integers(min_value=-400, max_value=400))
def test_months_after_is_relativedelta(start: dt.date, months: int) -> None:
    assert months_after(start, months) == start + relativedelta(months=months)


@given(DATES, DATES)
def test_elapsed_is_relativedelta(start: dt.date, end: dt.date) -> None:
    assert elapsed(start, end) == reference_elapsed(start, end)


def test_month_ends_and_leap_days() -> None:
    days = [dt.date(2023, 12, 1) + dt.timedelta(days=n) for n in range(0, 800, 1)]
    ends = [d for d in days if (d + dt.timedelta(days=1)).day == 1 or d.day in (1, 28, 29, 30)]
    for start in ends:
        for months in (-25, -13, -12, -1, 0, 1, 2, 11, 12, 13, 24, 36):
            assert months_after(start, months) == start + relativedelta(months=months)
        for end in ends[::3]:
            assert elapsed(start, end) == reference_elapsed(start, end), (start, end)
