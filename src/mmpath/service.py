"""The one entry point every presenter uses: record -> recommendation (recommendation-v1)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence

from mmpath import __version__
from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.decision_summary import decision_summary
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.pack import Pack
from mmpath.engine.packs import select
from mmpath.recommendation import ComparisonOut, RecommendationOut, ResultOut
from mmpath.record.evaluable import require_evaluable
from mmpath.record.model import PatientRecord


def compare(results: Sequence[ResultOut]) -> ComparisonOut:
    """``mmpath.compare.compare``, imported on first use: only ``guideline=all`` compares,
    and a one-guideline process (``mmpath recommend --guideline ID``) need not load it."""
    from mmpath.compare import compare as compare_results

    return compare_results(results)


def recommend(
    record: PatientRecord, guideline: str = "all", *, today: dt.date | None = None
) -> RecommendationOut:
    """Evaluate ``guideline`` (a pack id or ``all``) for ``record``.

    Raises ``UnknownGuideline`` for an unknown id and ``RecordError`` for a near-empty
    record (:mod:`mmpath.record.evaluable`) or assertions of unknown facts, before
    anything is evaluated. With more than one pack the output carries the cross-guideline
    ``comparison``, taken from :data:`comparisons` when the same input was compared before.
    """
    facts = Assessment(record, today=today)
    require_evaluable(record)
    packs = select(guideline)
    results = evaluate_packs(facts, packs)
    return RecommendationOut(
        patient_id=record.id,
        as_of=facts.as_of.isoformat(),
        mmpath_version=__version__,
        summary=decision_summary(facts, packs, results),
        results=results,
        comparison=comparisons.get(record, facts.as_of, packs, results)
        if len(results) > 1
        else None,
    )


def evaluate_packs(facts: Assessment, packs: list[Pack]) -> list[ResultOut]:
    """One result per pack over one assessment (the facts are derived once, shared)."""
    catalogue = load_catalogue()
    return [PackEvaluator(pack, catalogue).run(facts) for pack in packs]


class ComparisonCache:
    """The cross-guideline comparison, cached per input digest (issue 12).

    ``compare(results)`` is a pure function of the results, and the results are a pure
    function of the validated record, the decision date (``as_of``: the record's, or
    today) and the packs evaluated (and mmpath's own code and catalogue, fixed within a
    process). The key is therefore the SHA-256 of the validated record's JSON, ``as_of``
    and each pack's id, version and loaded instance (a pack reloaded under the same
    version is a different key; each entry holds its packs so their identities are not
    reused while it lives).

    An entry is the comparison's JSON text (~30 kB for five packs), not its objects: a hit
    rebuilds the objects from it (``model_validate_json``, about a third of the cost of
    ``compare``), equal field for field and serialised byte for byte the same
    (``tests/test_comparison_cache.py``). Holding the objects instead (~170 kB of small
    allocations per entry) made every *miss* measurably slower (about 1 ms per call at
    64 entries, bench/http/README.md). Bounded: the least recently used entry goes beyond
    :attr:`size` entries. Thread-safe (the API evaluates in a pool).
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[str, Sequence[Pack]]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(record: PatientRecord, as_of: dt.date, packs: Sequence[Pack]) -> Hashable:
        digest = hashlib.sha256(record.model_dump_json().encode("utf-8")).hexdigest()
        return (digest, as_of.isoformat(), tuple((p.id, p.version, id(p)) for p in packs))

    def get(
        self,
        record: PatientRecord,
        as_of: dt.date,
        packs: Sequence[Pack],
        results: Sequence[ResultOut],
    ) -> ComparisonOut:
        """The comparison of ``results`` (computed by ``compare`` on a miss)."""
        if self.size <= 0:
            return compare(results)
        key = self.key(record, as_of, packs)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if found is not None:
            return ComparisonOut.model_validate_json(found[0])
        comparison = compare(results)  # outside the lock: concurrent misses both compute
        text = comparison.model_dump_json()
        with self._lock:
            self.misses += 1
            self._entries[key] = (text, tuple(packs))
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return comparison

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


#: The process's comparison cache (``comparisons.size = 0`` turns it off).
comparisons = ComparisonCache()
