"""The cross-guideline comparison is cached per input digest (issue 12): a hit gives the
output a fresh computation gives, byte for byte; anything the results depend on is in
the key."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mmpath import service
from mmpath.compare import compare
from mmpath.record.load import parse_record
from mmpath.service import ComparisonCache, recommend

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first-relapse-on-lenalidomide.json"


@pytest.fixture
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    return data


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[ComparisonCache]:
    fresh = ComparisonCache(size=4)
    monkeypatch.setattr(service, "comparisons", fresh)
    yield fresh


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times ``compare`` really ran."""
    calls: list[int] = []

    def counting(results: Any) -> Any:
        calls.append(len(results))
        return compare(results)

    monkeypatch.setattr(service, "compare", counting)
    return calls


def test_a_repeated_input_is_compared_once_and_answered_byte_identically(
    cache: ComparisonCache, counted: list[int], example: dict[str, Any]
) -> None:
    first = recommend(parse_record(example))
    again = recommend(parse_record(example))  # a new, equal record object
    assert counted == [len(first.results)]
    assert (cache.hits, cache.misses) == (1, 1)
    assert again.model_dump_json() == first.model_dump_json()
    # and the same as with no cache at all
    cache.size = 0
    uncached = recommend(parse_record(example))
    assert uncached.model_dump_json() == first.model_dump_json()
    assert uncached.comparison == again.comparison == first.comparison


def test_whatever_changes_the_results_changes_the_key(
    cache: ComparisonCache, counted: list[int], example: dict[str, Any]
) -> None:
    recommend(parse_record(example))
    other = {**example, "ecog": 3 if example.get("ecog") != 3 else 1}
    changed = recommend(parse_record(other))
    later = recommend(parse_record({**example, "as_of": None}), today=dt.date(2027, 6, 1))
    assert len(counted) == 3 and cache.hits == 0
    assert changed.comparison == compare(changed.results)
    assert later.comparison == compare(later.results)


def test_one_guideline_has_no_comparison_and_touches_no_cache(
    cache: ComparisonCache, counted: list[int], example: dict[str, Any]
) -> None:
    out = recommend(parse_record(example), "nl-rrmm")
    assert out.comparison is None
    assert counted == [] and len(cache) == 0


def test_the_cache_is_bounded_least_recently_used_first(
    cache: ComparisonCache, counted: list[int], example: dict[str, Any]
) -> None:
    records = [parse_record({**example, "id": f"p{i}"}) for i in range(6)]
    for record in records:
        recommend(record)
    assert len(cache) == cache.size == 4
    recommend(records[-1])  # still cached
    recommend(records[0])  # evicted: computed again
    assert len(counted) == 7 and cache.hits == 1
