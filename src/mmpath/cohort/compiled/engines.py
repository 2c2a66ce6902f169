"""Run the compiled plan's SQL on an engine: DuckDB embedded or Spark SQL.

Both get the same views (Polars frames) and the same query text and return a Polars
frame. DuckDB reads the frames in memory (Arrow); Spark reads them as Parquet from a
temporary folder — on a cluster that folder is shared storage (docs/cohort.md).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import polars as pl


class SqlEngine(Protocol):
    name: str

    def run(self, sql: str, views: dict[str, pl.DataFrame]) -> pl.DataFrame: ...


def available(name: str) -> bool:
    """Whether the engine's Python package is installed (Spark also needs Java)."""
    module = {"duckdb": "duckdb", "spark": "pyspark"}[name]
    return importlib.util.find_spec(module) is not None


class DuckDB:
    name = "duckdb"

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    def run(self, sql: str, views: dict[str, pl.DataFrame]) -> pl.DataFrame:
        import duckdb

        connection = duckdb.connect(":memory:")
        try:
            if self.threads:
                connection.execute(f"SET threads = {int(self.threads)}")
            for name, frame in views.items():
                connection.register(name, frame.to_arrow())
            table = connection.sql(sql).to_arrow_table()
        finally:
            connection.close()
        result = pl.from_arrow(table)
        assert isinstance(result, pl.DataFrame)
        return result


class Spark:
    """Spark SQL; ``master`` ``local[2]`` by default (set ``MMPATH_SPARK_MASTER`` or pass
    a cluster URL, e.g. ``spark://host:7077``, and a shared ``workdir``)."""

    name = "spark"

    def __init__(self, master: str | None = None, workdir: Path | None = None) -> None:
        self.master = master or os.environ.get("MMPATH_SPARK_MASTER", "local[2]")
        self.workdir = workdir

    def session(self) -> Any:
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master(self.master)
            .appName("mmpath-cohort")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.driver.memory", os.environ.get("MMPATH_SPARK_DRIVER_MEMORY", "2g"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return session

    def run(self, sql: str, views: dict[str, pl.DataFrame]) -> pl.DataFrame:
        spark = self.session()
        with tempfile.TemporaryDirectory(dir=self.workdir) as folder:
            base = Path(folder)
            for name, frame in views.items():
                path = base / f"{name}.parquet"
                frame.write_parquet(path)
                spark.read.parquet(str(path)).createOrReplaceTempView(name)
            out = base / "result"
            spark.sql(sql).write.parquet(str(out))
            parts = sorted(out.glob("*.parquet"))
            result = pl.read_parquet(parts) if parts else None
        if result is None:
            raise RuntimeError("Spark wrote no result")
        return result


def engine(name: str) -> SqlEngine:
    if name == "duckdb":
        return DuckDB()
    if name == "spark":
        return Spark()
    raise ValueError(f"unknown SQL engine {name!r}; expected duckdb or spark")
