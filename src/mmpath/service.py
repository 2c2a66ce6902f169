"""The one entry point every presenter uses: record -> recommendation (recommendation-v1)."""

from __future__ import annotations

import datetime as dt

from mmpath import __version__
from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.compare import compare
from mmpath.decision_summary import decision_summary
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.pack import Pack
from mmpath.engine.packs import select
from mmpath.recommendation import RecommendationOut, ResultOut
from mmpath.record.model import PatientRecord


def recommend(
    record: PatientRecord, guideline: str = "all", *, today: dt.date | None = None
) -> RecommendationOut:
    """Evaluate ``guideline`` (a pack id or ``all``) for ``record``.

    Raises ``UnknownGuideline`` for an unknown id and ``RecordError`` for assertions of
    unknown facts, before anything is evaluated.
    """
    facts = Assessment(record, today=today)
    packs = select(guideline)
    results = evaluate_packs(facts, packs)
    return RecommendationOut(
        patient_id=record.id,
        as_of=facts.as_of.isoformat(),
        mmpath_version=__version__,
        summary=decision_summary(facts, packs, results),
        results=results,
        comparison=compare(results) if len(results) > 1 else None,
    )


def evaluate_packs(facts: Assessment, packs: list[Pack]) -> list[ResultOut]:
    """One result per pack over one assessment (the facts are derived once, shared)."""
    catalogue = load_catalogue()
    return [PackEvaluator(pack, catalogue).run(facts) for pack in packs]
