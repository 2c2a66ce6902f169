"""The registry extract: long tables, their columns, and the schema check.

An extract is a folder of tables, each a CSV file (header row, UTF-8, ``,``-separated,
ISO dates) or a Parquet file: ``patients``, ``treatments``, ``procedures``,
``progressions``, ``labs``, ``cytogenetics``, and optionally ``mrd`` and ``decisions``.
docs/cohort.md describes every column. Values mean what they mean in patient-record-v1:
an empty cell is *unknown*, never *no*.

The check reports every problem with its table, row (1-based data row, header not
counted), column and the value found, in two kinds:

- ``error``: a value of the wrong type or outside its range, a missing required value,
  an unknown or missing column, a row whose patient is not in ``patients``. Any error
  stops the evaluation: nothing is half-evaluated.
- ``unknown_code``: a name the vocabularies do not know (a regimen or drug not in the
  catalogue, a lab test or unit, a comorbidity code, ...). The patient is set aside —
  not evaluated, listed in the report with the code — and never dropped silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import polars as pl

from mmpath.catalogue import load_catalogue
from mmpath.record import model
from mmpath.record.types import EARLIEST, LATEST
from mmpath.record.units import FACTORS

Kind = Literal["str", "date", "int", "float", "bool", "enum", "list"]

DECISION_REASONS = (
    "toxicity_comorbidity",
    "prior_treatment",
    "patient_preference",
    "clinical_trial",
    "documented_rationale",
    "other",
)
"""Reasons for going off the pathway (recommendation-v1 1.1 ``decision.reason``)."""

LIST_SEPARATOR = ";"
EMPTY_LIST = "none"
"""In CSV a list cell holds ``;``-separated codes; ``none`` is the empty list (checked,
nothing found) and an empty cell is unknown, as everywhere."""
MAX_PROBLEMS_PER_COLUMN = 50
"""Problems listed per table and column and message; the rest are counted in one line."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    values: tuple[str, ...] = ()
    """Allowed values of an ``enum`` (structure: a wrong one is an error)."""
    code: str | None = None
    """Vocabulary of a ``str``/``list`` column (a name it does not know is an unknown code)."""
    low: float | None = None
    high: float | None = None


def _literal(tp: object) -> tuple[str, ...]:
    return tuple(str(v) for v in get_args(tp))


RESPONSES = _literal(model.Response)
BOOL_CYTO = (
    "del_17p",
    "t_4_14",
    "t_14_16",
    "t_14_20",
    "t_11_14",
    "gain_1q",
    "amp_1q",
    "del_1p",
    "del_1p_biallelic",
    "tp53_mutation",
)

TABLES: dict[str, tuple[Column, ...]] = {
    "patients": (
        Column("patient_id", "str", required=True),
        Column("site", "str", required=True),
        Column("region", "str"),  # checked against the installed packs when the record is built
        Column("birth_date", "date"),
        Column("sex", "enum", values=_literal(model.Sex)),
        Column("diagnosis_date", "date"),
        Column("isotype", "str"),
        Column("iss", "int", low=1, high=3),
        Column("r_iss", "int", low=1, high=3),
        Column("plasma_cell_leukemia", "bool"),
        Column("weight_kg", "float", low=0.1, high=400),
        Column("height_cm", "float", low=0.1, high=250),
        Column("ecog", "int", low=0, high=4),
        Column("charlson_index", "int", low=0, high=40),
        Column("katz_adl", "int", low=0, high=6),
        Column("lawton_iadl", "int", low=0, high=8),
        Column("comorbidities", "list", code="comorbidity"),
        Column("extramedullary", "enum", values=_literal(model.Extramedullary)),
        Column("transplant_eligible", "bool"),
        Column("donor_available", "bool"),
        Column("contraindications", "list", code="contraindication"),
        Column("intolerances", "list", code="drug"),
    ),
    "treatments": (
        Column("patient_id", "str", required=True),
        Column("regimen", "str", code="regimen"),
        Column("drugs", "list", code="drug"),
        Column("start", "date", required=True),
        Column("end", "date"),
        Column("setting", "enum", values=_literal(model.Setting)),
        Column("line", "int", low=1, high=50),
        Column("best_response", "enum", values=RESPONSES),
        Column("best_response_date", "date"),
        Column("stop_reason", "enum", values=_literal(model.StopReason)),
        Column("cycles", "int", low=0, high=1000),
    ),
    "procedures": (
        Column("patient_id", "str", required=True),
        Column("type", "enum", required=True, values=_literal(model.ProcedureType)),
        Column("date", "date", required=True),
        Column("best_response_after", "enum", values=RESPONSES),
        Column("response_date", "date"),
    ),
    "progressions": (
        Column("patient_id", "str", required=True),
        Column("date", "date", required=True),
        Column("type", "enum", required=True, values=("biochemical", "clinical")),
        Column("features", "list", code="feature"),
    ),
    "labs": (
        Column("patient_id", "str", required=True),
        Column("date", "date", required=True),
        Column("test", "str", required=True, code="lab_test"),
        Column("value", "float", required=True, low=0),
        Column("unit", "str", required=True),
        Column("upper_limit", "float", low=0),
    ),
    "cytogenetics": (
        Column("patient_id", "str", required=True),
        Column("date", "date"),
        Column("method", "str"),
        *(Column(name, "bool") for name in BOOL_CYTO),
        Column("del_17p_fraction", "float", low=0, high=1),
    ),
    "mrd": (
        Column("patient_id", "str", required=True),
        Column("date", "date", required=True),
        Column("result", "enum", required=True, values=("negative", "positive")),
        Column("sensitivity", "float", low=0, high=1),
    ),
    "decisions": (
        Column("patient_id", "str", required=True),
        Column("date", "date", required=True),
        Column("regimen", "str", code="regimen"),
        Column("procedure", "str"),
        Column("pathway", "enum", required=True, values=("on", "off")),
        Column("reason", "enum", values=DECISION_REASONS),
        Column("reason_text", "str"),
    ),
}
REQUIRED_TABLES = ("patients",)
"""Other tables may be absent: an absent table means *not recorded* (unknown) for everyone."""

ROW = "row"
"""The 1-based data row of every checked table (header not counted)."""


@dataclass(frozen=True, slots=True)
class ExtractProblem:
    kind: Literal["error", "unknown_code"]
    table: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    patient_id: str | None = None

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f" column {self.column}"
        got = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{got}"


@dataclass
class Extract:
    """Checked tables (typed columns plus ``row``), with the problems found."""

    tables: dict[str, pl.DataFrame]
    errors: list[ExtractProblem] = field(default_factory=list)
    unknown_codes: list[ExtractProblem] = field(default_factory=list)
    omitted: dict[str, int] = field(default_factory=dict)
    """Problems not listed (beyond MAX_PROBLEMS_PER_COLUMN), per table."""
    notes: list[str] = field(default_factory=list)
    """What a reader did that the user should know (e.g. OMOP rows not mapped)."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def set_aside(self) -> dict[str, list[ExtractProblem]]:
        """Patients not evaluated because of unknown codes, with the codes."""
        out: dict[str, list[ExtractProblem]] = defaultdict(list)
        for p in self.unknown_codes:
            if p.patient_id is not None:
                out[p.patient_id].append(p)
        return dict(out)


PROBLEM_SCHEMA = {
    "patient_id": pl.Utf8,
    "kind": pl.Utf8,
    "table": pl.Utf8,
    "row": pl.Int64,
    "column": pl.Utf8,
    "value": pl.Utf8,
    "problem": pl.Utf8,
}


def problems_frame(problems: list[ExtractProblem]) -> pl.DataFrame:
    """Problems as a table (set_aside.csv, the report)."""
    return pl.DataFrame(
        [
            {
                "patient_id": p.patient_id,
                "kind": p.kind,
                "table": p.table,
                "row": p.row,
                "column": p.column,
                "value": p.value,
                "problem": p.message,
            }
            for p in problems
        ],
        schema=PROBLEM_SCHEMA,
    )


class ExtractError(ValueError):
    """The extract has errors; nothing was evaluated."""

    def __init__(self, problems: list[ExtractProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems[:20]))


# -- reading ----------------------------------------------------------------------------


def read_extract(folder: Path) -> Extract:
    """Read and check the extract in ``folder`` (``<table>.csv`` or ``<table>.parquet``)."""
    if not folder.is_dir():
        raise ExtractError(
            [ExtractProblem("error", str(folder), None, None, None, "expected a folder of tables")]
        )
    frames: dict[str, pl.DataFrame] = {}
    problems: list[ExtractProblem] = []
    known = set(TABLES)
    for path in sorted(folder.iterdir()):
        table, suffix = path.stem, path.suffix.lower()
        if suffix not in {".csv", ".parquet"}:
            continue
        if table not in known:
            problems.append(
                ExtractProblem(
                    "error",
                    path.name,
                    None,
                    None,
                    None,
                    f"unknown table; expected one of {', '.join(TABLES)}",
                )
            )
            continue
        if table in frames:
            problems.append(
                ExtractProblem("error", path.name, None, None, None, "table given twice")
            )
            continue
        if suffix == ".csv":
            frames[table] = pl.read_csv(path, infer_schema=False)
        else:
            frames[table] = pl.read_parquet(path)
    extract = check(frames)
    extract.errors[:0] = problems
    return extract


def check(frames: dict[str, pl.DataFrame]) -> Extract:
    """Check raw tables (any column types) and return them typed, with their problems."""
    extract = Extract(tables={})
    for table in REQUIRED_TABLES:
        if table not in frames:
            extract.errors.append(
                ExtractProblem("error", table, None, None, None, "required table is missing")
            )
    for table, columns in TABLES.items():
        if table in frames:
            extract.tables[table] = _check_table(table, columns, frames[table], extract)
    if "patients" in extract.tables:
        _check_patients(extract)
    if not extract.errors:
        _check_rows(extract)
    return extract


def _blank_to_null(name: str) -> pl.Expr:
    text = pl.col(name).cast(pl.Utf8).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def _parse(column: Column) -> pl.Expr:
    raw = pl.col(column.name)
    if column.kind == "date":
        return raw.str.to_date("%Y-%m-%d", strict=False)
    if column.kind == "int":
        return raw.cast(pl.Int64, strict=False)
    if column.kind == "float":
        return raw.cast(pl.Float64, strict=False)
    if column.kind == "bool":
        lowered = raw.str.to_lowercase()
        return (
            pl.when(lowered.is_in(["true", "1", "yes"]))
            .then(True)
            .when(lowered.is_in(["false", "0", "no"]))
            .then(False)
            .otherwise(None)
        )
    if column.kind == "list":
        return (
            pl.when(raw.str.to_lowercase() == EMPTY_LIST)
            .then(pl.lit([], dtype=pl.List(pl.Utf8)))
            .otherwise(raw.str.split(LIST_SEPARATOR).list.eval(pl.element().str.strip_chars()))
        )
    return raw


EXPECTED = {
    "date": "expected a date YYYY-MM-DD",
    "int": "expected an integer",
    "float": "expected a number",
    "bool": "expected true or false",
}


def _check_table(
    table: str, columns: tuple[Column, ...], frame: pl.DataFrame, extract: Extract
) -> pl.DataFrame:
    names = {c.name for c in columns}
    for name in frame.columns:
        if name not in names:
            _problem(
                extract,
                ExtractProblem(
                    "error",
                    table,
                    None,
                    name,
                    None,
                    f"unknown column; expected {', '.join(c.name for c in columns)}",
                ),
            )
    present = [c for c in columns if c.name in frame.columns]
    # Parquet may hold lists natively: check them as the CSV text they would be
    frame = frame.with_columns(
        [_list_text(n) for n, t in frame.schema.items() if isinstance(t, pl.List)]
    )
    for c in columns:
        if c.required and c.name not in frame.columns:
            _problem(
                extract,
                ExtractProblem("error", table, None, c.name, None, "required column is missing"),
            )
    # A column that is already of its type (Parquet: dates, numbers, booleans) is taken as
    # it is; a round trip through text would only cost memory (several GB at 250,000
    # patients: bench/README.md). Text columns (CSV) are parsed.
    typed = {c.name for c in present if c.kind in EXPECTED and frame.schema[c.name] == _dtype(c)}
    raw = frame.select(
        [pl.col(c.name) if c.name in typed else _blank_to_null(c.name) for c in present]
    ).with_row_index(ROW, offset=1)
    raw = raw.with_columns(pl.col(ROW).cast(pl.Int64))
    parsed = raw.with_columns(
        [(pl.col(c.name) if c.name in typed else _parse(c)).alias(f"__{c.name}") for c in present]
    )
    for c in present:
        value, parsed_value = pl.col(c.name), pl.col(f"__{c.name}")
        checks: list[tuple[pl.Expr, str]] = []
        if c.required:
            checks.append((value.is_null(), "required value is missing"))
        if c.kind in EXPECTED:
            checks.append((value.is_not_null() & parsed_value.is_null(), EXPECTED[c.kind]))
        if c.kind == "date":
            checks.append(
                (
                    parsed_value.is_not_null()
                    & ((parsed_value < EARLIEST) | (parsed_value > LATEST)),
                    f"expected a date between {EARLIEST} and {LATEST}",
                )
            )
        if c.kind in {"int", "float"} and c.low is not None and c.high is not None:
            checks.append(
                (
                    parsed_value.is_not_null() & ((parsed_value < c.low) | (parsed_value > c.high)),
                    f"expected a value from {c.low:g} to {c.high:g}",
                )
            )
        elif c.kind in {"int", "float"} and c.low is not None:
            checks.append(
                (
                    parsed_value.is_not_null() & (parsed_value < c.low),
                    f"expected at least {c.low:g}",
                )
            )
        if c.kind == "enum":
            checks.append(
                (
                    value.is_not_null() & ~value.is_in(list(c.values)),
                    f"expected one of {', '.join(c.values)}",
                )
            )
        for condition, message in checks:
            bad = parsed.filter(condition).select(ROW, c.name)
            _problems_of(extract, "error", table, c.name, message, bad, None)
    absent = [c for c in columns if c.name not in frame.columns]
    typed_frame = parsed.select(
        ROW, *[pl.col(f"__{c.name}").alias(c.name) for c in present]
    ).with_columns([pl.lit(None, dtype=_dtype(c)).alias(c.name) for c in absent])
    return typed_frame.select(ROW, *[c.name for c in columns])


def _list_text(name: str) -> pl.Expr:
    """A list column as CSV text: codes joined by ``;``, ``none`` for the empty list."""
    column = pl.col(name).cast(pl.List(pl.Utf8))
    return (
        pl.when(column.list.len() == 0)
        .then(pl.lit(EMPTY_LIST))
        .otherwise(column.list.join(LIST_SEPARATOR))
        .alias(name)
    )


def _dtype(column: Column) -> pl.DataType:
    return {
        "date": pl.Date(),
        "int": pl.Int64(),
        "float": pl.Float64(),
        "bool": pl.Boolean(),
        "list": pl.List(pl.Utf8),
    }.get(column.kind, pl.Utf8())


def _problem(extract: Extract, problem: ExtractProblem) -> None:
    (extract.errors if problem.kind == "error" else extract.unknown_codes).append(problem)


def _problems_of(
    extract: Extract,
    kind: Literal["error", "unknown_code"],
    table: str,
    column: str,
    message: str,
    bad: pl.DataFrame,
    patient_column: str | None,
) -> None:
    """Record ``bad`` rows (columns: row, the value[, patient_id])."""
    if bad.is_empty():
        return
    listed = bad if kind == "unknown_code" else bad.head(MAX_PROBLEMS_PER_COLUMN)
    for record in listed.iter_rows(named=True):
        value = record[column]
        _problem(
            extract,
            ExtractProblem(
                kind,
                table,
                record[ROW],
                column,
                None if value is None else str(value),
                message,
                record[patient_column] if patient_column else None,
            ),
        )
    rest = bad.height - listed.height
    if rest:
        extract.omitted[table] = extract.omitted.get(table, 0) + rest


# -- vocabularies (unknown codes) ---------------------------------------------------------


def _vocabulary(code: str) -> set[str] | None:
    if code == "comorbidity":
        return set(_literal(model.Comorbidity))
    if code == "feature":
        return set(_literal(model.ProgressionFeature))
    if code == "lab_test":
        return set(FACTORS)
    return None  # resolved through the catalogue


def _resolves(code: str, name: str) -> bool:
    catalogue = load_catalogue()
    if code == "regimen":
        return catalogue.drugs_of(name) is not None
    if code == "drug":
        return catalogue.drug(name) is not None
    if code == "contraindication":
        return catalogue.drug(name) is not None or name in catalogue.classes
    vocabulary = _vocabulary(code)
    return vocabulary is not None and name in vocabulary


def _check_rows(extract: Extract) -> None:
    """Unknown codes, per distinct value (the vocabularies are small, the tables are not)."""
    for table, frame in extract.tables.items():
        for c in TABLES[table]:
            if c.code is None:
                continue
            values = pl.col(c.name).explode() if c.kind == "list" else pl.col(c.name)
            distinct = _distinct(frame, values.drop_nulls()).to_series().to_list()
            unknown = sorted(str(v) for v in distinct if not _resolves(c.code, str(v)))
            if not unknown:
                continue
            hit = (
                pl.col(c.name).list.eval(pl.element().is_in(unknown)).list.any()
                if c.kind == "list"
                else pl.col(c.name).is_in(unknown)
            )
            bad = frame.filter(hit).select(ROW, c.name, "patient_id")
            if c.kind == "list":
                bad = bad.with_columns(pl.col(c.name).list.join(LIST_SEPARATOR))
            _problems_of(
                extract,
                "unknown_code",
                table,
                c.name,
                f"unknown {c.code.replace('_', ' ')}",
                bad,
                "patient_id",
            )
    labs = extract.tables.get("labs")
    if labs is not None:
        pairs = {(t, u) for t, u in _distinct(labs, "test", "unit").iter_rows()}
        wrong = [(t, u) for t, u in pairs if t in FACTORS and u not in FACTORS[t]]
        for test, unit in sorted(wrong):
            bad = labs.filter((pl.col("test") == test) & (pl.col("unit") == unit)).select(
                ROW, "unit", "patient_id"
            )
            _problems_of(
                extract,
                "unknown_code",
                "labs",
                "unit",
                f"unit not accepted for {test}; expected one of {', '.join(FACTORS[test])}",
                bad,
                "patient_id",
            )
    treatments = extract.tables.get("treatments")
    if treatments is not None:
        bad = treatments.filter(
            pl.col("regimen").is_null()
            & (pl.col("drugs").is_null() | (pl.col("drugs").list.len() == 0))
        ).select(ROW, "regimen", "patient_id")
        _problems_of(
            extract, "error", "treatments", "regimen", "give a regimen or drugs", bad, None
        )


def _distinct(frame: pl.DataFrame, *columns: str | pl.Expr) -> pl.DataFrame:
    """The distinct values of ``columns`` (few: codes), found by Polars' streaming engine:
    the eager ``unique`` of a million-row column hashes it whole (measured: +120 MB for
    the labs of 25,000 patients, the peak of reading an extract), the streaming one in
    morsels (+0 MB)."""
    return frame.lazy().select(*columns).unique().collect(engine="streaming")


def _check_patients(extract: Extract) -> None:
    patients = extract.tables["patients"]
    dupes = patients.filter(pl.col("patient_id").is_duplicated()).select(ROW, "patient_id")
    _problems_of(extract, "error", "patients", "patient_id", "patient_id given twice", dupes, None)
    ids = patients.get_column("patient_id")
    for table, frame in extract.tables.items():
        if table == "patients":
            continue
        orphans = frame.filter(
            pl.col("patient_id").is_not_null() & ~pl.col("patient_id").is_in(ids.to_list())
        ).select(ROW, "patient_id")
        _problems_of(
            extract,
            "error",
            table,
            "patient_id",
            "patient not in the patients table",
            orphans,
            None,
        )


def write_extract(tables: dict[str, pl.DataFrame], folder: Path, fmt: str = "parquet") -> None:
    """Write tables in the extract format (lists joined with ``;`` in CSV)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        out = frame.drop(ROW) if ROW in frame.columns else frame
        if fmt == "csv":
            out = out.with_columns(
                [_list_text(n) for n, t in out.schema.items() if isinstance(t, pl.List)]
            )
            out.write_csv(folder / f"{table}.csv", date_format="%Y-%m-%d")
        else:
            out.write_parquet(folder / f"{table}.parquet")
