"""The compiled cohort backend (issue 14, phase 2): facts and pack conditions as SQL.

- :mod:`.sql` compiles the condition language (engine/conditions.py) to SQL, SQL NULL
  standing for the engine's Kleene *unknown*;
- :mod:`.facts` derives, with set operations over the whole cohort, the facts it can
  derive exactly (and only where it can: elsewhere the value is *not compiled*);
- :mod:`.plan` puts them together: one query over every (decision, guideline) pair;
- :mod:`.engines` runs the query on DuckDB (embedded) or Spark SQL;
- :mod:`.backend` is the :class:`~mmpath.cohort.backend.Backend`: pairs the query
  settles are answered from SQL, the others are routed to the per-patient engine.
"""
