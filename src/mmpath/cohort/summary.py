"""Aggregates of the per-decision rows: what the report shows, as Polars frames.

Definitions (docs/cohort.md):

- *covered* decisions: rows that are not ``not_covered`` (the guideline applies, or
  whether it applies is unknown);
- *concordance*: on-pathway rows / covered rows; *determined concordance*: on-pathway /
  (on-pathway + off-pathway), leaving out the undetermined;
- *missing-data burden* of a fact: the share of covered rows in which the fact was unknown
  and would have changed the guideline's result (the result's ``missing`` list).

Each function takes the rows as a frame or as a lazy scan of an evaluation's row files
(:meth:`~mmpath.cohort.backend.Evaluation.scan`) and returns the (small) aggregate,
computed with Polars' streaming engine: the rows need not fit in memory at once.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from mmpath.cohort.classify import CLASSIFICATIONS

COVERED = pl.col("classification") != "not_covered"
OTHER = "other"

Rows = pl.DataFrame | pl.LazyFrame
"""Per-decision rows (``backend.ROW_SCHEMA``), in memory or scanned from disk."""


def _collect(query: pl.LazyFrame) -> pl.DataFrame:
    return query.collect(engine="streaming")


def decision_count(rows: Rows) -> int:
    """Decisions (patient, date, event, phase), whatever the guidelines."""
    decisions = rows.lazy().select("patient_id", "decision_date", "event", "phase").unique()
    return int(_collect(decisions.select(pl.len())).item())


def period(rows: Rows) -> tuple[dt.date | None, dt.date | None]:
    """The first and last decision dates (None without rows)."""
    first, last = _collect(
        rows.lazy().select(
            pl.col("decision_date").min().alias("first"),
            pl.col("decision_date").max().alias("last"),
        )
    ).row(0)
    return first, last


def counts(rows: Rows, by: list[str]) -> pl.DataFrame:
    """Decisions per group and classification, with the two concordance rates."""
    out = (
        rows.lazy()
        .group_by(by)
        .agg(
            pl.len().alias("decisions"),
            *[(pl.col("classification") == c).sum().alias(c) for c in CLASSIFICATIONS],
        )
    )
    covered = pl.col("decisions") - pl.col("not_covered")
    determined = pl.col("on_pathway") + pl.col("off_pathway")
    return _collect(
        out.with_columns(
            covered.alias("covered"),
            pl.when(covered > 0).then(pl.col("on_pathway") / covered).alias("concordance"),
            pl.when(determined > 0)
            .then(pl.col("on_pathway") / determined)
            .alias("determined_concordance"),
        ).sort(by)
    )


def missing_burden(rows: Rows) -> pl.DataFrame:
    """Per guideline and fact: covered decisions in which the fact was unknown and mattered."""
    covered = rows.lazy().filter(COVERED)
    totals = _collect(covered.group_by("guideline").agg(pl.len().alias("covered")))
    facts = _collect(
        covered.select("guideline", "missing_facts")
        .explode("missing_facts")
        .drop_nulls("missing_facts")
        .group_by("guideline", "missing_facts")
        .agg(pl.len().alias("unknown"))
        .rename({"missing_facts": "fact"})
    )
    return (
        facts.join(totals, on="guideline")
        .with_columns((pl.col("unknown") / pl.col("covered")).alias("share"))
        .sort(["share", "guideline", "fact"], descending=[True, False, False])
    )


def undetermined_facts(rows: Rows) -> pl.DataFrame:
    """Which unknown facts left decisions undetermined, per guideline."""
    return _collect(
        rows.lazy()
        .filter(pl.col("classification") == "undetermined")
        .select("guideline", "unknown_facts")
        .explode("unknown_facts")
        .drop_nulls("unknown_facts")
        .group_by("guideline", "unknown_facts")
        .agg(pl.len().alias("decisions"))
        .rename({"unknown_facts": "fact"})
        .sort(["guideline", "decisions", "fact"], descending=[False, True, False])
    )


def line_choices(rows: Rows) -> pl.DataFrame:
    """One row per line start (whatever the guidelines): patient, line, regimen."""
    return _collect(
        rows.lazy()
        .filter(pl.col("event") == "line_start")
        .select("patient_id", "line", "action")
        .unique()
        .sort("patient_id", "line")
    )


def transitions(rows: Rows, top: int = 8, max_line: int = 4) -> pl.DataFrame:
    """Line k regimen -> line k+1 regimen counts (regimens outside each line's ``top``
    most frequent are grouped as ``other``), for lines 1 to ``max_line``."""
    lines = line_choices(rows).filter(pl.col("line") <= max_line)
    ranked = lines.group_by("line", "action").agg(pl.len().alias("n"))
    keep = (
        ranked.sort(["line", "n", "action"], descending=[False, True, False])
        .group_by("line", maintain_order=True)
        .head(top)
    )
    named = lines.join(
        keep.select("line", "action", pl.lit(True).alias("kept")), on=["line", "action"], how="left"
    ).with_columns(
        pl.when(pl.col("kept")).then(pl.col("action")).otherwise(pl.lit(OTHER)).alias("regimen")
    )
    following = named.select(
        "patient_id", (pl.col("line") - 1).alias("line"), pl.col("regimen").alias("next")
    )
    return (
        named.join(following, on=["patient_id", "line"])
        .group_by("line", "regimen", "next")
        .agg(pl.len().alias("patients"))
        .sort(["line", "patients", "regimen", "next"], descending=[False, True, False, False])
    )


def recorded_reasons(rows: Rows) -> pl.DataFrame:
    """Off-pathway decisions by the reason the extract recorded (``not recorded`` when none)."""
    return _collect(
        rows.lazy()
        .filter(pl.col("classification") == "off_pathway")
        .with_columns(pl.col("recorded_reason").fill_null("not recorded"))
        .group_by("guideline", "recorded_reason")
        .agg(pl.len().alias("decisions"))
        .sort(["guideline", "decisions", "recorded_reason"], descending=[False, True, False])
    )
