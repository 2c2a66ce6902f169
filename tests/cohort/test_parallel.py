"""``map_in_order``: results in input order, and the input read only a few jobs ahead of
the results (a cohort's slices are not all held in memory at once)."""

from __future__ import annotations

from collections.abc import Iterator

from mmpath.cohort.parallel import map_in_order


def _square(n: int) -> int:
    return n * n


def test_results_come_back_in_input_order_with_and_without_workers() -> None:
    assert list(map_in_order(_square, range(40), workers=1)) == [n * n for n in range(40)]
    assert list(map_in_order(_square, range(40), workers=2)) == [n * n for n in range(40)]


def test_the_input_is_read_only_a_bounded_number_of_jobs_ahead() -> None:
    read: list[int] = []

    def jobs() -> Iterator[int]:
        for n in range(100):
            read.append(n)
            yield n

    results = map_in_order(_square, jobs(), workers=2, ahead=2)
    seen = []
    for result in results:
        seen.append(result)
        assert len(read) <= len(seen) + 2 * 2  # at most workers * ahead submitted, not returned
    assert seen == [n * n for n in range(100)]
