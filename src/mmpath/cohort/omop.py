"""The OMOP CDM (v5.4) reader: a folder of OMOP tables -> the cohort extract.

Tables (CSV or Parquet, lower-case OMOP names): ``person``, ``condition_occurrence``,
``drug_exposure``, ``procedure_occurrence``, ``measurement``, the vocabulary tables
``concept`` and ``concept_ancestor`` (the subset the extract uses is enough), and, where
present, the oncology extension's ``episode`` and ``episode_event``.

Mapping (data/omop_concepts.yaml, documented in docs/cohort.md):

- patients: persons with a myeloma condition (SNOMED 109989006, ICD-10 C90.0*); the
  diagnosis date is the first such condition; ``site`` is the person's care site;
  ``birth_date`` from ``birth_datetime`` or year/month/day of birth; ``sex`` from the
  gender concept's name. Persons without a myeloma condition are not included (counted
  in the notes).
- treatments: a drug exposure's concept goes to its RxNorm Ingredient; the ingredient's
  name must be a drug of the catalogue. Exposures of one ingredient less than
  ``drug_era_gap_days`` apart form one course (the OHDSI drug-era window); lines are then
  derived by the timeline. An episode of the oncology extension linked to the exposure
  (``episode_event.event_id`` = ``drug_exposure_id``) gives its ``episode_number`` as the
  line. Ingredients that are not myeloma drugs (anti-emetics, ...) are counted in the
  notes with their names.
- procedures and labs: by (vocabulary, code) from the mapping file; a lab's unit is its
  ``unit_source_value``, which must be a unit the record accepts for the test — otherwise
  the patient is set aside with the unknown unit.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from mmpath.catalogue import load_catalogue
from mmpath.cohort.extract import (
    TABLES,
    Extract,
    ExtractError,
    ExtractProblem,
    _dtype,
    check,
)
from mmpath.record.decode import safe_yaml
from mmpath.record.units import FACTORS

OMOP_TABLES = (
    "person",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "measurement",
    "concept",
    "concept_ancestor",
    "episode",
    "episode_event",
)
REQUIRED = ("person", "condition_occurrence", "concept")
GENDER = {"FEMALE": "female", "MALE": "male"}


@cache
def mapping() -> dict[str, Any]:
    text = resources.files("mmpath.cohort").joinpath("data/omop_concepts.yaml").read_text("utf-8")
    loaded: dict[str, Any] = safe_yaml(text)  # aliases refused (record/decode.py)
    return loaded


def _read(folder: Path) -> dict[str, pl.DataFrame]:
    frames: dict[str, pl.DataFrame] = {}
    for name in OMOP_TABLES:
        for suffix in (".parquet", ".csv"):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                frames[name] = (
                    pl.read_parquet(path)
                    if suffix == ".parquet"
                    else pl.read_csv(path, infer_schema_length=10000)
                )
                break
    missing = [t for t in REQUIRED if t not in frames]
    if missing:
        raise ExtractError(
            [
                ExtractProblem("error", t, None, None, None, "required OMOP table is missing")
                for t in missing
            ]
        )
    return frames


def _date(name: str) -> pl.Expr:
    column = pl.col(name)
    return column.cast(pl.Utf8).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


def _codes(concept: pl.DataFrame, entries: list[dict[str, Any]], value: str) -> pl.DataFrame:
    """concept_id -> ``value`` for the mapping entries (by vocabulary and code or prefix)."""
    out = []
    for entry in entries:
        match = pl.col("vocabulary_id") == entry["vocabulary"]
        if "prefix" in entry:
            match &= pl.col("concept_code").cast(pl.Utf8).str.starts_with(entry["prefix"])
        else:
            match &= pl.col("concept_code").cast(pl.Utf8) == entry["code"]
        hit = concept.filter(match).select(
            "concept_id", pl.lit(entry.get(value, True)).alias(value)
        )
        out.append(hit)
    if not out:
        return pl.DataFrame(schema={"concept_id": pl.Int64, value: pl.Utf8})
    return pl.concat(out).unique("concept_id", keep="first")


def read_omop(folder: Path) -> Extract:
    """Read the OMOP tables in ``folder`` and check the extract built from them."""
    frames = _read(folder)
    m = mapping()
    concept = frames["concept"].with_columns(pl.col("concept_id").cast(pl.Int64))
    notes: list[str] = []
    problems: list[ExtractProblem] = []

    myeloma = _codes(concept, m["myeloma"], "myeloma")
    conditions = frames["condition_occurrence"].with_columns(
        pl.col("condition_concept_id").cast(pl.Int64), _date("condition_start_date").alias("day")
    )
    diagnosis = (
        conditions.join(myeloma, left_on="condition_concept_id", right_on="concept_id")
        .group_by("person_id")
        .agg(pl.col("day").min().alias("diagnosis_date"))
    )
    person = frames["person"].join(diagnosis, on="person_id", how="inner")
    left_out = frames["person"].height - person.height
    if left_out:
        notes.append(f"OMOP: {left_out} persons without a myeloma condition were not included.")
    gender = concept.select(
        pl.col("concept_id").alias("gender_concept_id"), pl.col("concept_name").alias("gender")
    )
    person = person.with_columns(pl.col("gender_concept_id").cast(pl.Int64)).join(
        gender, on="gender_concept_id", how="left"
    )
    if "birth_datetime" in person.columns:
        birth = _date("birth_datetime")
    else:
        birth = pl.lit(None, dtype=pl.Date)
    if {"year_of_birth", "month_of_birth", "day_of_birth"} <= set(person.columns):
        birth = pl.coalesce(
            birth,
            pl.date(pl.col("year_of_birth"), pl.col("month_of_birth"), pl.col("day_of_birth")),
        )
    patients = person.select(
        pl.col("person_id").cast(pl.Utf8).alias("patient_id"),
        (
            pl.col("care_site_id").cast(pl.Utf8).fill_null("unknown")
            if "care_site_id" in person.columns
            else pl.lit("unknown")
        ).alias("site"),
        birth.alias("birth_date"),
        pl.col("gender").str.to_uppercase().replace_strict(GENDER, default="unknown").alias("sex"),
        pl.col("diagnosis_date"),
    )
    ids = patients.get_column("patient_id")

    tables: dict[str, pl.DataFrame] = {"patients": patients}
    if "drug_exposure" in frames:
        tables["treatments"] = _treatments(frames, concept, ids, m["drug_era_gap_days"], notes)
    if "procedure_occurrence" in frames:
        codes = _codes(concept, m["procedures"], "type")
        tables["procedures"] = (
            frames["procedure_occurrence"]
            .with_columns(pl.col("procedure_concept_id").cast(pl.Int64))
            .join(codes, left_on="procedure_concept_id", right_on="concept_id")
            .select(
                pl.col("person_id").cast(pl.Utf8).alias("patient_id"),
                pl.col("type"),
                _date("procedure_date").alias("date"),
            )
            .filter(pl.col("patient_id").is_in(ids.to_list()))
            .unique()
            .sort("patient_id", "date", "type")
        )
    if "measurement" in frames:
        tables["labs"] = _labs(frames["measurement"], concept, ids, problems)
    extract = check({name: _fill(name, frame) for name, frame in tables.items()})
    extract.unknown_codes += problems
    extract.notes += notes
    return extract


def _fill(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The extract table with every column (absent ones empty), as the checker expects."""
    columns = TABLES[table]
    return frame.with_columns(
        [
            pl.lit(None, dtype=_dtype(c)).alias(c.name)
            for c in columns
            if c.name not in frame.columns
        ]
    ).select([c.name for c in columns])


def _ingredients(concept: pl.DataFrame, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """concept_id -> RxNorm ingredient name (the concept itself or an ancestor)."""
    ingredient = concept.filter(
        (pl.col("vocabulary_id") == "RxNorm") & (pl.col("concept_class_id") == "Ingredient")
    ).select(pl.col("concept_id"), pl.col("concept_name").str.to_lowercase().alias("ingredient"))
    pairs = [ingredient]
    if "concept_ancestor" in frames:
        ancestors = frames["concept_ancestor"].select(
            pl.col("ancestor_concept_id").cast(pl.Int64),
            pl.col("descendant_concept_id").cast(pl.Int64),
        )
        pairs.append(
            ancestors.join(ingredient, left_on="ancestor_concept_id", right_on="concept_id").select(
                pl.col("descendant_concept_id").alias("concept_id"), "ingredient"
            )
        )
    return pl.concat(pairs).unique("concept_id", keep="first")


def _treatments(
    frames: dict[str, pl.DataFrame],
    concept: pl.DataFrame,
    ids: pl.Series,
    gap: int,
    notes: list[str],
) -> pl.DataFrame:
    catalogue = load_catalogue()
    exposures = (
        frames["drug_exposure"]
        .with_columns(
            pl.col("drug_concept_id").cast(pl.Int64),
            pl.col("person_id").cast(pl.Utf8).alias("patient_id"),
            _date("drug_exposure_start_date").alias("start"),
            pl.coalesce(_date("drug_exposure_end_date"), _date("drug_exposure_start_date")).alias(
                "end"
            ),
        )
        .filter(pl.col("patient_id").is_in(ids.to_list()))
    )
    named = exposures.join(
        _ingredients(concept, frames), left_on="drug_concept_id", right_on="concept_id", how="left"
    )
    names = named.get_column("ingredient").drop_nulls().unique().to_list()
    inn = {n: catalogue.drug(n) for n in names}
    named = named.with_columns(
        pl.col("ingredient").replace_strict(inn, default=None, return_dtype=pl.Utf8).alias("drug")
    )
    other = named.filter(pl.col("drug").is_null())
    if other.height:
        listed = sorted({str(n) for n in other.get_column("ingredient").to_list() if n})[:15]
        notes.append(
            f"OMOP: {other.height} drug exposures are not myeloma drugs of the catalogue and were "
            f"not used (ingredients: {', '.join(listed) or 'no RxNorm ingredient found'})."
        )
    named = named.filter(pl.col("drug").is_not_null())
    line = pl.lit(None, dtype=pl.Int64)
    if "episode" in frames and "episode_event" in frames and "drug_exposure_id" in named.columns:
        episodes = (
            frames["episode_event"]
            .join(frames["episode"], on="episode_id")
            .select(
                pl.col("event_id").cast(pl.Int64).alias("drug_exposure_id"),
                pl.col("episode_number").cast(pl.Int64).alias("line"),
            )
            .unique("drug_exposure_id", keep="first")
        )
        named = named.with_columns(pl.col("drug_exposure_id").cast(pl.Int64)).join(
            episodes, on="drug_exposure_id", how="left"
        )
        line = pl.col("line")
    previous_line = pl.col("line").shift(1).over("patient_id", "drug")
    eras = (
        named.with_columns(line.alias("line"))
        .sort("patient_id", "drug", "start")
        .with_columns(pl.col("end").cum_max().shift(1).over("patient_id", "drug").alias("reach"))
        .with_columns(
            (
                pl.col("reach").is_null()
                | ((pl.col("start") - pl.col("reach")).dt.total_days() > gap)
                # a different episode (line) starts a new course; no episode says nothing
                | (pl.col("line").ne(previous_line).fill_null(False))
            )
            .cum_sum()
            .over("patient_id", "drug")
            .alias("era")
        )
        .group_by("patient_id", "drug", "era")
        .agg(
            pl.col("start").min(),
            pl.col("end").max(),
            pl.col("line").drop_nulls().first(),
        )
    )
    return eras.select(
        "patient_id",
        pl.concat_list(pl.col("drug")).alias("drugs"),
        "start",
        "end",
        "line",
    ).sort("patient_id", "start", "drugs")


def _labs(
    measurement: pl.DataFrame,
    concept: pl.DataFrame,
    ids: pl.Series,
    problems: list[ExtractProblem],
) -> pl.DataFrame:
    codes = _codes(concept, mapping()["labs"], "test")
    labs = (
        measurement.with_columns(pl.col("measurement_concept_id").cast(pl.Int64))
        .join(codes, left_on="measurement_concept_id", right_on="concept_id")
        .with_columns(pl.col("person_id").cast(pl.Utf8).alias("patient_id"))
        .filter(pl.col("patient_id").is_in(ids.to_list()) & pl.col("value_as_number").is_not_null())
    )
    unit = pl.col("unit_source_value").cast(pl.Utf8).str.strip_chars()
    labs = labs.with_columns(unit.alias("unit"))
    accepted = pl.struct("test", "unit").map_elements(
        lambda r: r["unit"] in FACTORS.get(r["test"], {}), return_dtype=pl.Boolean
    )
    labs = labs.with_columns(accepted.alias("ok"))
    for row in labs.filter(~pl.col("ok")).iter_rows(named=True):
        problems.append(
            ExtractProblem(
                "unknown_code",
                "measurement",
                row.get("measurement_id"),
                "unit_source_value",
                row["unit"],
                f"unit not accepted for {row['test']}; expected one of {', '.join(FACTORS[row['test']])}",
                row["patient_id"],
            )
        )
    return (
        labs.filter(pl.col("ok"))
        .select(
            "patient_id",
            _date("measurement_date").alias("date"),
            "test",
            pl.col("value_as_number").cast(pl.Float64).alias("value"),
            "unit",
        )
        .sort("patient_id", "date", "test")
    )
