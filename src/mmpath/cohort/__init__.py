"""Cohort concordance: registry extracts, decision points, per-decision classification.

Layout (docs/cohort.md):

- ``extract.py`` — the long-format extract (tables, columns, the schema check);
- ``omop.py`` — the OMOP CDM reader (concept mapping) into the same extract;
- ``records.py`` — a patient's patient-record-v1, whole or *as of* a decision date;
- ``decisions.py`` — the decision points (line starts, first-line pathway phases);
- ``classify.py`` — one decision against one guideline's result: on/off pathway, ...;
- ``backend.py`` — the ``Backend`` protocol and the reference (per-patient) backend;
- ``summary.py``, ``report.py`` — aggregates and the self-contained HTML report;
- ``synth/`` — synthetic cohorts in the extract format (``mmpath synth``).

Polars and Plotly come with the ``cohort`` extra; nothing here is imported by the
per-patient paths (CLI ``recommend``, the API).
"""
