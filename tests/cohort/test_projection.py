"""The compiled backend's routed pairs: lean projections, their memo, as-of records.

- the projection (``engine.projection.Projector``) equals the projection of the full
  recommendation (``project_result(PackEvaluator.run)``) for every pack at every decision
  of synthetic cohorts and for every vignette and review-case record;
- the memo (``ProjectionMemo``), shared across cohorts of different seeds so that most
  decisions are answered from paths other patients made, gives the same projection as the
  full evaluator for every one of them: a memo key that missed an input the evaluator
  reads would give some decision another decision's projection and fail here;
- the whole backend's rows with the memo, with the lean projection and with the full
  engine are identical (every column, same order) on cohorts of several seeds;
- the as-of records assembled from the validated whole record (``records.AsOf``) equal
  ``to_record``'s, and a record that fails validation as of a date fails the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.cohort.backend import KEY, differences
from mmpath.cohort.compiled.backend import CompiledBackend, CompiledEvaluation
from mmpath.cohort.decisions import decision_points
from mmpath.cohort.extract import Extract, check
from mmpath.cohort.records import AsOf, RecordProblems, patients, to_record
from mmpath.cohort.synth.generate import synthesise
from mmpath.engine.compiled import compiled
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.packs import select
from mmpath.engine.projection import (
    ProjectionMemo,
    Projector,
    Reads,
    ValueAssessment,
    _Trie,
    project_result,
)
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.record.model import PatientRecord

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 30)


def _as_of_records(extract: Extract) -> list[PatientRecord]:
    records = []
    for data in patients(extract):
        try:
            whole = to_record(data)
        except RecordProblems:
            continue
        records += [to_record(data, point.date) for point in decision_points(whole)]
    return records


def _file_records() -> list[PatientRecord]:
    files = sorted(ROOT.glob("tests/vignettes/*/*.json")) + sorted(ROOT.glob("review/*/*.json"))
    records = []
    for file in files:
        data: Any = json.loads(file.read_text("utf-8"))
        raw = data.get("record", data) if isinstance(data, dict) else data
        try:
            records.append(parse_record(raw))
        except RecordError:  # review cases may hold deliberately invalid records
            continue
    return records


def test_the_projection_equals_the_full_result_and_the_memo_is_exact() -> None:
    catalogue = load_catalogue()
    packs = select("all")
    memos = {p.id: ProjectionMemo(p, catalogue) for p in packs}
    lean = {p.id: Projector(compiled(p, catalogue)) for p in packs}
    records = _file_records()
    assert len(records) > 100
    for seed in (7, 8, 9):
        records += _as_of_records(check(synthesise(25, seed)))
    compared = 0
    for record in records:
        plain = Assessment(record, today=TODAY)
        value_first = ValueAssessment(record, today=TODAY)
        remembered = ValueAssessment(record, today=TODAY)
        for pack in packs:
            expected = project_result(PackEvaluator(pack, catalogue).run(plain))
            projector = lean[pack.id]
            assert projector.evaluate(Reads(projector.view(value_first))) == expected, pack.id
            assert memos[pack.id].project(remembered) == expected, pack.id
            compared += 1
    hits = sum(m.hits for m in memos.values())
    assert compared > 2000
    assert hits > compared / 2  # most answers came from paths other records made


def test_the_value_assessment_gives_the_same_facts() -> None:
    for record in _file_records()[:40]:
        plain = Assessment(record, today=TODAY)
        value_first = ValueAssessment(record, today=TODAY)
        names = sorted(plain.all())
        assert [value_first.value(n) for n in names] == [plain.value(n) for n in names]
        assert value_first.all() == plain.all()  # the same Fact objects' values, warnings


def _rows_equal(left: CompiledEvaluation, right: CompiledEvaluation) -> None:
    assert differences(left.rows, right.rows).height == 0
    assert left.rows.select(KEY).equals(right.rows.select(KEY))
    assert left.rows.equals(right.rows)
    assert sorted(map(str, left.set_aside)) == sorted(map(str, right.set_aside))
    assert left.patients == right.patients


@pytest.mark.parametrize(("size", "seed"), [(30, 505), (30, 606), (30, 707)])
def test_memo_lean_and_engine_rows_are_identical(size: int, seed: int) -> None:
    extract = check(synthesise(size, seed))
    engine = CompiledBackend(routed="engine").evaluate(extract, "all")
    lean = CompiledBackend(routed="lean").evaluate(extract, "all")
    memo = CompiledBackend(routed="memo").evaluate(extract, "all")
    _rows_equal(engine, lean)
    _rows_equal(engine, memo)
    assert memo.memo_hits > 0 and memo.memo_misses > 0
    assert memo.memo_hits + memo.memo_misses == memo.routed_pairs
    assert engine.memo_hits == engine.memo_misses == 0


def test_as_of_records_equal_to_record() -> None:
    compared = 0
    for seed in (11, 12):
        for data in patients(check(synthesise(30, seed))):
            whole = to_record(data)
            as_of = AsOf(data, whole)
            for point in decision_points(whole):
                fast, slow = as_of.record(point.date), to_record(data, point.date)
                assert fast == slow
                assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
                assert fast.model_dump_json() == slow.model_dump_json()
                compared += 1
    assert compared > 100


def test_an_invalid_as_of_record_fails_as_to_record_does() -> None:
    """A diagnosis dated after a decision: the whole record is valid, the record as of the
    decision is not (nothing may be dated after ``as_of``)."""
    data = next(d for d in patients(check(synthesise(10, 13))) if d.rows_of("treatments"))
    whole = to_record(data)
    first = decision_points(whole)[0].date
    data.patient["diagnosis_date"] = first + dt.timedelta(days=3)
    whole = to_record(data)
    with pytest.raises(RecordProblems) as slow:
        to_record(data, first)
    with pytest.raises(RecordProblems) as fast:
        AsOf(data, whole).record(first)
    assert [str(p) for p in fast.value.problems] == [str(p) for p in slow.value.problems]


def test_a_full_memo_still_answers_exactly() -> None:
    """Beyond its limit the memo computes misses without keeping them."""
    catalogue = load_catalogue()
    pack = next(p for p in select("all") if p.id == "nl-rrmm")
    memo = ProjectionMemo(pack, catalogue, limit=3)
    for record in _as_of_records(check(synthesise(20, 21))):
        expected = project_result(PackEvaluator(pack, catalogue).run(Assessment(record)))
        assert memo.project(ValueAssessment(record)) == expected
    assert memo.leaves == 3 and memo.misses > 3


def test_the_trie_refuses_a_non_deterministic_path() -> None:
    constant: _Trie[str] = _Trie()
    constant.add([], "read nothing")
    found = constant.find(Reads(None))
    assert found is not None and found.value == "read nothing"
    trie: _Trie[str] = _Trie()
    trie.add([(("t", "relapsed"), True), (("t", "frail"), False)], "a")
    with pytest.raises(AssertionError):
        trie.add([(("t", "relapsed"), True), (("t", "eligible"), False)], "b")
    with pytest.raises(AssertionError):
        trie.add([(("t", "relapsed"), True)], "c")  # ends where another path continues
