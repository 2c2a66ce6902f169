"""The per-decision rows of an evaluation, kept on disk as they are made.

A backend evaluates a cohort in slices of whole patients in ``patient_id`` order, and each
slice's rows, sorted, are the next stretch of the result in
:data:`~mmpath.cohort.backend.ROW_ORDER` (its first key is the patient). :class:`RowFiles`
writes each slice's rows to its own Parquet file in a temporary folder as they come, so
memory holds one slice's rows, not the cohort's; :meth:`RowFiles.scan` reads them back
lazily, in order, for the result files (``sink_parquet``, ``sink_csv``) and the report's
aggregates (collected with Polars' streaming engine). The folder is removed with the
object (or at exit).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl


class RowFiles:
    """Rows appended slice by slice as numbered Parquet files; read back in that order."""

    def __init__(self, schema: dict[str, pl.DataType]) -> None:
        self.schema = schema
        self._folder = tempfile.TemporaryDirectory(prefix="mmpath-rows-")
        self.paths: list[Path] = []
        self.height = 0
        """Rows written."""

    def add(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` (columns and types of ``schema``) after the rows written so far."""
        if frame.schema != pl.Schema(self.schema):
            raise ValueError(f"rows with another schema: {frame.schema} (expected {self.schema})")
        if frame.is_empty():
            return
        path = Path(self._folder.name) / f"{len(self.paths):08d}.parquet"
        frame.write_parquet(path)
        self.paths.append(path)
        self.height += frame.height

    def scan(self) -> pl.LazyFrame:
        """Every row written, in order."""
        if not self.paths:
            return pl.LazyFrame(schema=self.schema)
        return pl.scan_parquet(self.paths, schema=self.schema)

    def collect(self) -> pl.DataFrame:
        """Every row written, in order, as one frame in memory."""
        return self.scan().collect()
