"""Timeline facts derived with set operations over the whole cohort (SQL).

One row per decision (``k``), as of its date ``D`` — with exactly the data the
per-patient engine sees as of ``D`` (cohort/records.py): treatments started *before* D,
progressions dated on or before D. Each column is the fact's value **where the plan
derives it exactly** and NULL elsewhere: NULL is either the engine's *unknown* or *not
compiled here*. The plan only uses a condition's result when it is settled (TRUE or
FALSE); strong Kleene logic is monotone (a settled result stays settled whatever values
the NULLs take), so a NULL that is really "not compiled" can route a decision to the
per-patient engine but never change an answer.

The definitions reproduced (assess/disease_status.py, assess/refractoriness.py):

- ``relapsed`` (IMWG 2016, Kumar et al., Lancet Oncol 2016;17:e328: progression after the
  start of therapy): FALSE when the treatments are recorded and none started before D
  ("no treatment recorded") — unless the course starting on D is numbered line 2 or
  later (earlier lines the extract does not hold: not compiled); TRUE when a recorded progression dated on or before D is
  after the first course's start (such an event is always among the engine's
  progression events: recorded_events keeps every recorded progression). Otherwise
  not compiled (lab-derived progressions, courses stopped for progression and primary
  refractoriness are left to the engine). The cohort record has no ``status``.
- ``newly_diagnosed``: NOT ``relapsed``.
- ``lenalidomide_refractory`` (IMWG refractoriness, Rajkumar et al., Blood
  2011;117:4691): FALSE when the treatments are recorded and no course started before D
  contains lenalidomide ("never received lenalidomide"), with the same exception;
  otherwise not compiled.
"""

from __future__ import annotations

from mmpath.cohort.compiled.sql import SqlType

FACT_TYPES: dict[str, SqlType] = {
    "relapsed": "boolean",
    "newly_diagnosed": "boolean",
    "lenalidomide_refractory": "boolean",
}
"""The facts the plan compiles (columns ``f_<name>``)."""


def facts_sql(*, treatments_recorded: bool) -> str:
    """A query with ``k`` and one column per compiled fact, over the views ``decisions``
    (k, patient_id, decision_date), ``courses`` (patient_id, start, line) and ``course_drugs``
    (patient_id, start, inn), ``progressions`` (patient_id, date). Standard SQL that
    DuckDB and Spark SQL both run."""
    recorded = "TRUE" if treatments_recorded else "FALSE"
    # no course before D, but the course starting on D is numbered line 2 or later: the
    # as-of record holds the treatments as not recorded (cohort/records.py), not []
    unknown_before = "(fc.first_start IS NULL AND ll.k IS NOT NULL)"
    relapsed = (
        f"CASE WHEN NOT {recorded} OR {unknown_before} THEN NULL "
        "WHEN fc.first_start IS NULL THEN FALSE "
        "WHEN pr.k IS NOT NULL THEN TRUE ELSE NULL END"
    )
    return f"""
WITH first_course AS (
  SELECT d.k, MIN(c.start) AS first_start
  FROM decisions d JOIN courses c
    ON c.patient_id = d.patient_id AND c.start < d.decision_date
  GROUP BY d.k
), progressed AS (
  SELECT d.k, MAX(p.date) AS last_progression
  FROM decisions d
  JOIN first_course f ON f.k = d.k
  JOIN progressions p
    ON p.patient_id = d.patient_id AND p.date <= d.decision_date AND p.date > f.first_start
  GROUP BY d.k
), later_line AS (
  SELECT DISTINCT d.k
  FROM decisions d JOIN courses c
    ON c.patient_id = d.patient_id AND c.start = d.decision_date AND c.line > 1
), lenalidomide AS (
  SELECT d.k, COUNT(*) AS n
  FROM decisions d JOIN course_drugs c
    ON c.patient_id = d.patient_id AND c.start < d.decision_date AND c.inn = 'lenalidomide'
  GROUP BY d.k
)
SELECT d.k,
  {relapsed} AS f_relapsed,
  NOT ({relapsed}) AS f_newly_diagnosed,
  CASE WHEN {recorded} AND NOT {unknown_before} AND le.k IS NULL THEN FALSE ELSE NULL END
    AS f_lenalidomide_refractory
FROM decisions d
LEFT JOIN first_course fc ON fc.k = d.k
LEFT JOIN later_line ll ON ll.k = d.k
LEFT JOIN progressed pr ON pr.k = d.k
LEFT JOIN lenalidomide le ON le.k = d.k
"""
