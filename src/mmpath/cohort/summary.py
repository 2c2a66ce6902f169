"""Aggregates of the per-decision rows: what the report shows, as Polars frames.

Definitions (docs/cohort.md):

- *covered* decisions: rows that are not ``not_covered`` (the guideline applies, or
  whether it applies is unknown);
- *concordance*: on-pathway rows / covered rows; *determined concordance*: on-pathway /
  (on-pathway + off-pathway), leaving out the undetermined;
- *missing-data burden* of a fact: the share of covered rows in which the fact was unknown
  and would have changed the guideline's result (the result's ``missing`` list).
"""

from __future__ import annotations

import polars as pl

from mmpath.cohort.classify import CLASSIFICATIONS

COVERED = pl.col("classification") != "not_covered"
OTHER = "other"


def counts(rows: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Decisions per group and classification, with the two concordance rates."""
    out = rows.group_by(by).agg(
        pl.len().alias("decisions"),
        *[(pl.col("classification") == c).sum().alias(c) for c in CLASSIFICATIONS],
    )
    covered = pl.col("decisions") - pl.col("not_covered")
    determined = pl.col("on_pathway") + pl.col("off_pathway")
    return out.with_columns(
        covered.alias("covered"),
        pl.when(covered > 0).then(pl.col("on_pathway") / covered).alias("concordance"),
        pl.when(determined > 0)
        .then(pl.col("on_pathway") / determined)
        .alias("determined_concordance"),
    ).sort(by)


def missing_burden(rows: pl.DataFrame) -> pl.DataFrame:
    """Per guideline and fact: covered decisions in which the fact was unknown and mattered."""
    covered = rows.filter(COVERED)
    totals = covered.group_by("guideline").agg(pl.len().alias("covered"))
    facts = (
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


def undetermined_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """Which unknown facts left decisions undetermined, per guideline."""
    return (
        rows.filter(pl.col("classification") == "undetermined")
        .select("guideline", "unknown_facts")
        .explode("unknown_facts")
        .drop_nulls("unknown_facts")
        .group_by("guideline", "unknown_facts")
        .agg(pl.len().alias("decisions"))
        .rename({"unknown_facts": "fact"})
        .sort(["guideline", "decisions", "fact"], descending=[False, True, False])
    )


def line_choices(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per line start (whatever the guidelines): patient, line, regimen."""
    return (
        rows.filter(pl.col("event") == "line_start")
        .select("patient_id", "line", "action")
        .unique()
        .sort("patient_id", "line")
    )


def transitions(rows: pl.DataFrame, top: int = 8, max_line: int = 4) -> pl.DataFrame:
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


def recorded_reasons(rows: pl.DataFrame) -> pl.DataFrame:
    """Off-pathway decisions by the reason the extract recorded (``not recorded`` when none)."""
    return (
        rows.filter(pl.col("classification") == "off_pathway")
        .with_columns(pl.col("recorded_reason").fill_null("not recorded"))
        .group_by("guideline", "recorded_reason")
        .agg(pl.len().alias("decisions"))
        .sort(["guideline", "decisions", "recorded_reason"], descending=[False, True, False])
    )
