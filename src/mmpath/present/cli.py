"""The `mmpath` command line: recommend, facts, packs, lint, schema, regimens."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import typer
from pydantic import BaseModel

from mmpath.record.errors import RecordError

if TYPE_CHECKING:
    from rich.console import Console

    from mmpath.record.model import PatientRecord

app = typer.Typer(
    help="Multiple-myeloma treatment options from published guidelines, with their sources.",
    no_args_is_help=True,
    add_completion=False,
)


class _LazyConsole:
    """A rich ``Console`` made on first use: importing rich is a noticeable part of a cold
    start, and ``recommend --json`` with a valid record never prints through it."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False)
        return getattr(self._console, name)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))

EXIT_INVALID = 2


def _fail(problems: list[str]) -> NoReturn:
    for line in problems:
        # one line per problem, whatever the terminal width (soft_wrap: no line breaks)
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_INVALID)


def _load(path: Path) -> PatientRecord:
    from mmpath.record.load import load_record

    try:
        return load_record(path)
    except RecordError as error:
        _fail([f"{path}: {p}" for p in error.problems])


@app.command()
def recommend(
    record: Annotated[Path, typer.Argument(help="patient record (.json, .yaml)")],
    guideline: Annotated[str, typer.Option(help="pack id, or 'all'")] = "all",
    as_json: Annotated[bool, typer.Option("--json", help="print recommendation-v1 JSON")] = False,
    original: Annotated[bool, typer.Option(help="show quotes in the source language")] = False,
) -> None:
    """Treatment options for a patient, per guideline, with reasons and sources."""
    from mmpath.engine.packs import UnknownGuideline
    from mmpath.service import recommend as run

    patient = _load(record)
    try:
        result = run(patient, guideline)
    except UnknownGuideline as error:
        _fail([str(error)])
    except RecordError as error:
        _fail([f"{record}: {p}" for p in error.problems])
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    from mmpath.present.text import render

    render(out, result, original=original)


@app.command()
def facts(
    record: Annotated[Path | None, typer.Argument(help="patient record")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    list_: Annotated[
        bool, typer.Option("--list", help="list every fact and its definition")
    ] = False,
) -> None:
    """The derived facts about a patient (true / false / unknown, with why)."""
    from mmpath.assess import FACTS, Assessment

    if list_ or record is None:
        for name, spec in sorted(FACTS.items()):
            out.print(f"[bold]{name}[/] ({spec.kind}): {spec.definition}", highlight=False)
        return
    patient = _load(record)
    try:
        assessment = Assessment(patient)
        derived = assessment.all()
    except RecordError as error:
        _fail([f"{record}: {p}" for p in error.problems])
    if as_json:
        data = {
            n: {
                "value": f.value,
                "asserted": f.asserted,
                "why": f.why,
                "definition": f.definition,
                "warnings": list(f.warnings),
            }
            for n, f in derived.items()
        }
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    from mmpath.present.text import render_facts, render_lines

    render_lines(out, assessment.lines)
    render_facts(
        out,
        {n: (f.value, f.asserted, f.why, f.definition, f.warnings) for n, f in derived.items()},
    )


@app.command()
def packs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The guideline packs shipped with mmpath."""
    from mmpath.engine.packs import load_packs

    loaded = load_packs()
    rows = [
        {
            "id": p.id,
            "version": p.version,
            "title": p.title,
            "language": p.language,
            "source_document": p.source_document,
            "rules": len(p.rules),
            "quotes": len(p.quotes),
        }
        for p in loaded.values()
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    for row in rows:
        out.print(
            f"[bold]{row['id']}[/] v{row['version']} ({row['language']}, {row['source_document']}, "
            f"{row['rules']} rules, {row['quotes']} quotes)\n  {row['title']}"
        )


@app.command()
def lint(
    vignettes: Annotated[Path, typer.Option(help="vignettes folder")] = Path("tests/vignettes"),
    seeds: Annotated[Path | None, typer.Option(help="seed documents to compare with")] = None,
) -> None:
    """Check packs, catalogue and vignettes; exit 1 on any error."""
    from rich.markup import escape

    from mmpath.engine.lint import lint as run

    if seeds is None:
        guess = Path("../shared/seeds")
        seeds = guess if guess.is_dir() else None
    report = run(vignettes if vignettes.is_dir() else None, seeds)
    for warning in report.warnings:
        out.print(f"[yellow]warning[/]: {warning}")
    for error in report.errors:
        out.print(f"[red]error[/]: {escape(error)}", highlight=False, soft_wrap=True)
    passed = sum(o.passed for o in report.vignettes)
    out.print(f"{passed} of {len(report.vignettes)} vignettes pass; {len(report.errors)} errors")
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def schema(
    what: Annotated[str, typer.Argument(help="record | recommendation")] = "record",
) -> None:
    """Print the JSON Schema of the patient record (or of the recommendation)."""

    from mmpath.recommendation import RecommendationOut
    from mmpath.record.model import PatientRecord

    models: dict[str, type[BaseModel]] = {
        "record": PatientRecord,
        "recommendation": RecommendationOut,
    }
    if what not in models:
        _fail([f"unknown schema {what!r}; expected one of {', '.join(models)}"])
    sys.stdout.write(
        json.dumps(models[what].model_json_schema(), indent=2, ensure_ascii=False) + "\n"
    )


@app.command()
def regimens(query: Annotated[str | None, typer.Argument(help="resolve this name")] = None) -> None:
    """List the regimen catalogue, or resolve one name or alias."""
    from mmpath.catalogue import load_catalogue

    catalogue = load_catalogue()
    if query is not None:
        ambiguous = catalogue.ambiguity(query)
        if ambiguous is not None:
            _fail([f"{query!r} is ambiguous: {ambiguous.describe()}"])
        regimen = catalogue.regimen(query)
        if regimen is None:
            _fail([f"unknown regimen {query!r}"])
        assert regimen is not None
        out.print(f"{regimen.id}: {', '.join(regimen.drugs)}")
        return
    for regimen in catalogue.regimens.values():
        aliases = ", ".join(regimen.aliases)
        out.print(f"[bold]{regimen.id}[/]: {regimen.name}" + (f"  ({aliases})" if aliases else ""))


# -- HTTP server and audit trail (issue 5; see docs/http-api.md) ------------------------

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: $MMPATH_DATABASE_URL, else SQLite in the user data dir)",
    ),
]


def _store(url: str | None):  # type: ignore[no-untyped-def]
    from mmpath.store import Store, StoreError

    try:
        return Store(url)
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="server processes (one per core is the most useful)")
    ] = 1,
) -> None:
    """Start the web app and HTTP API (database migrated automatically)."""
    import os

    import uvicorn

    from mmpath.api.app import create_app
    from mmpath.api.settings import Settings
    from mmpath.store.url import ENV_VAR, redact

    store = _store(database_url)  # opens and migrates once, before any worker starts
    shown = f"[{host}]" if ":" in host else host
    out.print(f"mmpath serving on http://{shown}:{port}/  (API docs: /docs)", highlight=False)
    out.print(f"database: {redact(store.url)}", highlight=False)
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning"}
    if workers == 1:
        application = create_app(Settings(database_url=store.url), store=store)
        uvicorn.run(application, access_log=False, **options)
        return
    store.close()
    os.environ[ENV_VAR] = store.url  # each worker process builds its app from the environment
    uvicorn.run(
        "mmpath.api.app:create_app", factory=True, workers=workers, access_log=False, **options
    )


audit_app = typer.Typer(help="The audit trail of recommendations made through the API or web.")
app.add_typer(audit_app, name="audit")


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(help="newest N entries")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The newest audit entries."""
    from mmpath.store import StoreError

    store = _store(database_url)
    try:
        entries = store.list_audit(limit=limit)
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps([e.summary() for e in entries], ensure_ascii=False) + "\n")
        return
    for e in entries:
        packs = ", ".join(f"{p['id']} {p['version']}" for p in e.packs)
        sys.stdout.write(
            f"{e.id:>6}  {e.created_at:%Y-%m-%d %H:%M:%S}Z  {e.source:<4} {e.guideline:<10} "
            f"[{packs}]  {e.input_digest[:19]}\n"
        )


@audit_app.command("show")
def audit_show(
    entry: Annotated[int, typer.Argument(help="audit id")],
    database_url: DatabaseUrl = None,
) -> None:
    """One audit entry as JSON: record, pack versions, output."""
    from mmpath.store import StoreError

    store = _store(database_url)
    try:
        found = store.get_audit(entry)
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if found is None:
        _fail([f"no audit entry {entry}"])
    assert found is not None
    sys.stdout.write(json.dumps(found.as_json(), indent=2, ensure_ascii=False) + "\n")


@audit_app.command("export")
def audit_export(
    format_: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    output: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every audit entry, oldest first, as JSON lines or CSV."""
    from mmpath.store import StoreError
    from mmpath.store.export import write_csv, write_jsonl

    writers = {"jsonl": write_jsonl, "csv": write_csv}
    if format_ not in writers:
        _fail([f"unknown format {format_!r}; expected jsonl or csv"])
    store = _store(database_url)
    try:
        if output is None:
            writers[format_](store.iter_audit(), sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as stream:
                writers[format_](store.iter_audit(), stream)
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as error:
        err.print(f"error: cannot write {output}: {error.strerror}", markup=False)
        raise typer.Exit(1) from None


# -- end of issue 5 block ---------------------------------------------------------------


def main() -> None:
    app()


if __name__ == "__main__":
    main()
