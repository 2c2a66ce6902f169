"""The `mmpath` command line: recommend, facts, packs, lint, schema, regimens."""

from __future__ import annotations

import json
import os
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
EXIT_LINT = 1


def _print_version(value: bool) -> None:
    if value:
        from mmpath import __version__

        sys.stdout.write(f"mmpath {__version__}\n")
        raise typer.Exit()


@app.callback()
def _options(
    packs: Annotated[
        list[Path] | None,
        typer.Option(
            "--packs",
            metavar="DIR",
            help="also look for guideline packs in DIR (a pack folder, or a folder of packs); "
            "searched before $MMPATH_PACKS and installed packs; repeatable",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="print the version"),
    ] = False,
) -> None:
    """Multiple-myeloma treatment options from published guidelines, with their sources."""
    if packs:
        from mmpath.engine.packs import use_folders

        use_folders(packs)


def _pack_failure(error: Exception) -> NoReturn:
    """A guideline pack that cannot be used: its problems, file:line each; exit 1."""
    problems = getattr(error, "problems", [str(error)])
    for line in problems:
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_LINT)


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
    full: Annotated[
        bool, typer.Option("--full", help="everything: sources, quotes, notes, comparison")
    ] = False,
) -> None:
    """Treatment options for a patient, per guideline: a short answer (add --full for
    reasons, sources and every note)."""
    from mmpath.engine.packs import PackError, UnknownGuideline
    from mmpath.service import recommend as run

    try:
        patient = _load(record)
        result = run(patient, guideline)
    except UnknownGuideline as error:
        _fail([str(error)])
    except RecordError as error:
        _fail([f"{record}: {p}" for p in error.problems])
    except PackError as error:
        _pack_failure(error)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    if not full and not original:
        from mmpath.present.brief import render_brief

        render_brief(out, result)
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
    """The installed guideline packs: versions, regions and where each was found."""
    from mmpath.engine.packs import PackError, registry

    try:
        found = registry()
        loaded = found.packs()
    except PackError as error:
        _pack_failure(error)
    rows = [
        {
            "id": p.id,
            "version": p.version,
            "title": p.title,
            "language": p.language,
            "regions": p.regions,
            "phases": p.phases,
            "source_document": p.source_document,
            "rules": len(p.rules),
            "quotes": len(p.quotes),
            "file": found.location(p.id).file,
            "origin": found.location(p.id).origin,
        }
        for p in loaded.values()
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    from rich.markup import escape

    for p in loaded.values():
        where = found.location(p.id)
        out.print(
            f"[bold]{p.id}[/] v{escape(p.version)} ({p.language}, "
            f"{', '.join(p.regions) or 'no region'}, {len(p.rules)} rules, "
            f"{len(p.quotes)} quotes)\n  {escape(p.title)}\n"
            f"  {escape(where.file)} [dim]({escape(where.origin)})[/]",
            highlight=False,
        )
    for item in found.shadowed:
        out.print(
            f"[yellow]shadowed[/]: {item.id} at {escape(item.file)} ({escape(item.origin)})",
            highlight=False,
        )


@app.command()
def lint(
    path: Annotated[
        Path | None,
        typer.Argument(help="one pack folder (installed or not); default: every installed pack"),
    ] = None,
    vignettes: Annotated[Path, typer.Option(help="folder of <pack id>/*.json vignettes")] = Path(
        "tests/vignettes"
    ),
    seeds: Annotated[Path | None, typer.Option(help="seed documents to compare with")] = None,
) -> None:
    """Check packs, their sources, catalogue and vignettes; exit 1 on any error."""
    from rich.markup import escape

    from mmpath.engine.lint import lint as run
    from mmpath.engine.lint import lint_folder

    if seeds is None:
        guess = Path("../shared/seeds")
        seeds = guess if guess.is_dir() else None
    folder = vignettes if vignettes.is_dir() else None
    report = run(folder, seeds) if path is None else lint_folder(path, seeds, folder)
    for warning in report.warnings:
        out.print(f"[yellow]warning[/]: {escape(warning)}", highlight=False, soft_wrap=True)
    for error in report.errors:
        out.print(f"[red]error[/]: {escape(error)}", highlight=False, soft_wrap=True)
    passed = sum(o.passed for o in report.vignettes)
    out.print(f"{passed} of {len(report.vignettes)} vignettes pass; {len(report.errors)} errors")
    raise typer.Exit(0 if report.ok else EXIT_LINT)


@app.command()
def review(
    folder: Annotated[
        Path, typer.Argument(help="a folder of review cases (review/<pack>) or of such folders")
    ],
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="list agreements too")] = False,
) -> None:
    """Run independent review cases (shared/review/independent-clinical-review.md): each
    disagreement between the reviewer's expectation and mmpath, per case; exit 1 if any."""
    from rich.markup import escape

    from mmpath.engine.vignettes import run_vignette

    cases = sorted(folder.glob("*.json")) or sorted(folder.glob("*/*.json"))
    if not cases:
        _fail([f"{folder}: no review cases (*.json) found"])
    disagree = 0
    for path in cases:
        outcome = run_vignette(path)
        name = escape(f"{path.parent.name}/{path.name}")
        if outcome.failures:
            disagree += 1
            out.print(f"[red]disagree[/] {name}", highlight=False)
            for failure in outcome.failures:
                out.print(f"   - {escape(failure)}", highlight=False, soft_wrap=True)
        elif verbose or outcome.vacuous:
            out.print(f"[green]agree[/]    {name}", highlight=False)
        for note in outcome.vacuous:
            out.print(f"   note: {escape(note)}", highlight=False, soft_wrap=True)
    out.print(f"{len(cases) - disagree} agree, {disagree} disagree ({len(cases)} cases)")
    raise typer.Exit(1 if disagree else 0)


@app.command()
def schema(
    what: Annotated[str, typer.Argument(help="record | recommendation | pack")] = "record",
) -> None:
    """Print the JSON Schema of the patient record, the recommendation, or a pack file."""

    from mmpath.engine.pack_schema import pack_schema
    from mmpath.recommendation import RecommendationOut
    from mmpath.record.model import PatientRecord

    models: dict[str, type[BaseModel]] = {
        "record": PatientRecord,
        "recommendation": RecommendationOut,
    }
    if what == "pack":
        document = pack_schema()
    elif what in models:
        document = models[what].model_json_schema()
    else:
        _fail([f"unknown schema {what!r}; expected one of {', '.join([*models, 'pack'])}"])
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


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


# -- writing guideline packs (issue 12; see docs/authoring.md) ------------------------------

pack_app = typer.Typer(help="Write and review guideline packs (docs/authoring.md).")
app.add_typer(pack_app, name="pack")


@pack_app.command("new")
def pack_new(
    pack_id: Annotated[str, typer.Argument(metavar="ID", help="the new pack's id, e.g. nl-frail")],
    directory: Annotated[
        Path, typer.Option("--dir", help="where to create the pack folder")
    ] = Path("."),
    title: Annotated[str | None, typer.Option(help="the guideline's title")] = None,
    language: Annotated[str, typer.Option(help="the source document's language")] = "en",
    region: Annotated[
        list[str] | None, typer.Option(help="a region the guideline is for (NL); repeatable")
    ] = None,
) -> None:
    """Create a pack folder: pack.yaml, source document, a vignette, notes and the schema."""
    from mmpath.engine.scaffold import ScaffoldError, new_pack

    try:
        folder = new_pack(directory, pack_id, title=title, language=language, regions=region)
    except (ScaffoldError, OSError) as error:
        _fail([str(error)])
    out.print(
        f"created {folder}/: pack.yaml, pack.schema.json, source.txt, vignettes/example.json, "
        "README.md",
        markup=False,
        soft_wrap=True,
    )
    out.print(
        f"next: replace the placeholders, then `mmpath lint {folder}` (docs/authoring.md)",
        markup=False,
        soft_wrap=True,
    )


def _vignettes_of(pack_id: str, folders: list[Path | None], root: Path | None) -> list[Path]:
    """Vignette files for a pack: beside each folder given, and under ``root/<id>/``;
    one per file name."""
    found: dict[str, Path] = {}
    for folder in folders:
        if folder is not None and (folder / "vignettes").is_dir():
            for path in sorted((folder / "vignettes").glob("*.json")):
                found.setdefault(path.name, path)
    if root is not None and (root / pack_id).is_dir():
        for path in sorted((root / pack_id).glob("*.json")):
            found.setdefault(path.name, path)
    return sorted(found.values(), key=lambda p: p.name)


@pack_app.command("diff")
def pack_diff(
    old: Annotated[str, typer.Argument(help="the older version: folder, pack YAML file or id")],
    new: Annotated[str, typer.Argument(help="the newer version: folder, pack YAML file or id")],
    vignettes: Annotated[
        Path, typer.Option(help="folder of <pack id>/*.json vignettes, besides those of NEW/OLD")
    ] = Path("tests/vignettes"),
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What changed between two versions of a pack, and which vignettes change outcome."""
    from mmpath.engine.pack_diff import diff
    from mmpath.engine.packs import PackError, UnknownGuideline, pack_from

    try:
        before, old_folder = pack_from(old)
        after, new_folder = pack_from(new)
    except UnknownGuideline as error:
        _fail([f"{error} (or give a pack folder or file)"])
    except PackError as error:
        _pack_failure(error)
    files = _vignettes_of(
        after.id, [new_folder, old_folder], vignettes if vignettes.is_dir() else None
    )
    result = diff(before, after, files)
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
    for line in result.lines():
        out.print(line, markup=False, highlight=False, soft_wrap=True)


@pack_app.command("graph")
def pack_graph(
    pack: Annotated[str, typer.Argument(metavar="ID", help="pack id, folder or pack YAML file")],
    format_: Annotated[str, typer.Option("--format", help="svg or mermaid")] = "svg",
    patient: Annotated[
        Path | None,
        typer.Option(help="a patient record: mark the path it takes (true / false / unknown)"),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write")] = None,
) -> None:
    """Draw a pack's decision structure (rules -> conditions -> options, with tiers)."""
    from mmpath.engine.pack_graph import build, to_mermaid, to_svg
    from mmpath.engine.packs import PackError, UnknownGuideline, pack_from

    renderers = {"svg": to_svg, "mermaid": to_mermaid}
    if format_ not in renderers:
        _fail([f"unknown format {format_!r}; expected svg or mermaid"])
    try:
        found, _ = pack_from(pack)
    except UnknownGuideline as error:
        _fail([f"{error} (or give a pack folder or file)"])
    except PackError as error:
        _pack_failure(error)
    if patient is None:
        graph = build(found)
    else:
        from mmpath.assess import Assessment
        from mmpath.catalogue import load_catalogue
        from mmpath.engine.evaluate import PackEvaluator

        record = _load(patient)
        try:
            facts = Assessment(record)
            result = PackEvaluator(found, load_catalogue()).run(facts)
        except RecordError as error:
            _fail([f"{patient}: {p}" for p in error.problems])
        graph = build(found, facts, result, patient=record.id or patient.name)
    text = renderers[format_](graph)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, "utf-8")


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


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _first_admin(store: Any) -> None:
    """On the first run with sign-in, create the user ``admin``: the password comes from
    ``$MMPATH_ADMIN_PASSWORD`` or is generated and printed once."""
    import secrets

    from mmpath.auth import accounts

    if accounts.count_users(store):
        return
    password = os.environ.get("MMPATH_ADMIN_PASSWORD") or secrets.token_urlsafe(18)
    try:
        accounts.add_user(store, "admin", "admin", password)
    except accounts.AccountError as error:
        _fail([f"MMPATH_ADMIN_PASSWORD: {error}"])
    store.record_event("user", source="cli", detail="first administrator 'admin' created")
    if os.environ.get("MMPATH_ADMIN_PASSWORD"):
        out.print("created the administrator 'admin' (password from $MMPATH_ADMIN_PASSWORD)")
    else:
        out.print(
            f"created the administrator 'admin' with the password {password}\n"
            "  (shown once: write it down, or change it with `mmpath user passwd admin`)",
            markup=False,
            highlight=False,
        )


def _check_port(host: str, port: int) -> None:
    """Fail before "serving on" when the address cannot be listened on (port in use)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = error.strerror or str(error)
            err.print(
                f"error: cannot listen on {host}:{port}: {reason} (is another server running "
                "there? choose another --port)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="server processes (one per core is the most useful)")
    ] = 1,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="no sign-in: anyone reaching the port can read and change everything; "
            "refused unless --host is a loopback address",
        ),
    ] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="a Host name the server answers to, besides the loopback names (the name "
            "users type, e.g. mmpath.hospital.example); repeatable",
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="serve HTTPS with this certificate (PEM)")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="... and this private key (PEM)")] = None,
    behind_proxy: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESSES",
            help="trust X-Forwarded-Proto/-For from these proxy addresses (comma-separated), "
            "and mark cookies Secure: for a TLS-terminating reverse proxy (docs/security.md)",
        ),
    ] = None,
    rate_limit: Annotated[
        int, typer.Option(min=0, help="requests per minute per user or address (0: no limit)")
    ] = 1200,
    oidc_issuer: Annotated[
        str | None, typer.Option(help="OpenID Connect sign-in: the provider's issuer URL")
    ] = None,
    oidc_client_id: Annotated[
        str | None,
        typer.Option(help="... mmpath's client id there (secret: $MMPATH_OIDC_CLIENT_SECRET)"),
    ] = None,
    oidc_new_users: Annotated[
        str | None,
        typer.Option(help="let provider users without an account in, with this role"),
    ] = None,
    audit_retention_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="delete the records and outputs of audit rows older than N days, at start "
            "and then daily (rows and hash chain stay); default: keep forever "
            "[env: MMPATH_AUDIT_RETENTION_DAYS]",
        ),
    ] = None,
) -> None:
    """Start the web app and HTTP API (database migrated automatically)."""
    import uvicorn

    from mmpath.api import heap
    from mmpath.api.app import create_app
    from mmpath.api.settings import LOOPBACK_HOSTS, RETENTION_VAR, Settings, retention_days
    from mmpath.engine.packs import ENV_VAR as PACKS_VAR
    from mmpath.engine.packs import PackError, load_packs, search_folders
    from mmpath.store.url import ENV_VAR, redact

    loopback = _is_loopback(host)
    if no_auth and not loopback:
        _fail(
            [
                f"--no-auth is refused on {host}: without sign-in, anyone who can reach the "
                "port reads every saved patient. Use sign-in, or --host 127.0.0.1."
            ]
        )
    if (tls_cert is None) != (tls_key is None):
        _fail(["--tls-cert and --tls-key go together"])
    try:
        load_packs()  # a broken pack stops the server here, not at the bedside
    except PackError as error:
        _pack_failure(error)
    if search_folders():  # --packs, for worker processes too
        extra = [str(p.resolve()) for p in search_folders()]
        os.environ[PACKS_VAR] = os.pathsep.join(
            [*extra, *filter(None, [os.environ.get(PACKS_VAR)])]
        )
    _check_port(host, port)
    store = _store(database_url)  # opens and migrates once, before any worker starts
    hosts = [*LOOPBACK_HOSTS, *(allowed_host or [])]
    if not loopback and host not in ("0.0.0.0", "::"):
        hosts.append(host)
    # worker processes build their settings from the environment
    os.environ["MMPATH_ALLOWED_HOSTS"] = ",".join(hosts)
    os.environ["MMPATH_RATE_PER_MINUTE"] = str(rate_limit)
    if (oidc_issuer is None) != (oidc_client_id is None):
        _fail(["--oidc-issuer and --oidc-client-id go together"])
    if oidc_issuer and oidc_client_id:
        os.environ["MMPATH_OIDC_ISSUER"] = oidc_issuer
        os.environ["MMPATH_OIDC_CLIENT_ID"] = oidc_client_id
        if oidc_new_users:
            from mmpath.auth.accounts import ROLES

            if oidc_new_users not in ROLES:
                _fail([f"--oidc-new-users: expected one of {', '.join(ROLES)}"])
            os.environ["MMPATH_OIDC_NEW_USERS"] = oidc_new_users
    if audit_retention_days is not None:
        os.environ[RETENTION_VAR] = str(audit_retention_days)  # for worker processes too
    try:
        keep_days = retention_days(os.environ.get(RETENTION_VAR))
    except ValueError as error:
        _fail([str(error)])
    secure = tls_cert is not None or behind_proxy is not None
    if secure:
        os.environ["MMPATH_SECURE_COOKIES"] = "1"
    if no_auth:
        os.environ["MMPATH_NO_AUTH"] = "1"
        err.print(
            "WARNING: --no-auth: no sign-in. Anyone who can reach "
            f"{host}:{port} (any local user or process) can read, change and delete every "
            "saved patient. Recommendations are still audited, without a user name.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    else:
        _first_admin(store)
    if not loopback and not secure:
        err.print(
            f"WARNING: serving plain HTTP on {host}: passwords and patient data cross the "
            "network unencrypted. Use --tls-cert/--tls-key, or a TLS reverse proxy with "
            "--behind-proxy (docs/security.md).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    scheme = "https" if tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    out.print(f"mmpath serving on {scheme}://{shown}:{port}/  (API docs: /docs)", highlight=False)
    out.print(f"database: {redact(store.url)}", highlight=False)
    if keep_days is not None:
        out.print(
            f"audit payloads: kept {keep_days} days (older ones pruned at start and daily)",
            highlight=False,
        )
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning"}
    if tls_cert and tls_key:
        options.update(ssl_certfile=str(tls_cert), ssl_keyfile=str(tls_key))
    if behind_proxy:
        options.update(proxy_headers=True, forwarded_allow_ips=behind_proxy)
    else:
        options.update(proxy_headers=False)
    if workers == 1:
        application = create_app(Settings(database_url=store.url), store=store)
        heap.settle()  # after start-up: the garbage collector's pauses (mmpath.api.heap)
        try:
            uvicorn.run(application, access_log=False, **options)
        finally:
            store.close()  # a clean shutdown checkpoints the SQLite write-ahead log
        return
    store.close()
    os.environ[ENV_VAR] = store.url  # each worker process builds its app from the environment
    uvicorn.run(
        "mmpath.api.app:create_served_app",
        factory=True,
        workers=workers,
        access_log=False,
        **options,
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
        entries = store.list_audit(limit=limit, payloads=False)
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps([e.summary() for e in entries], ensure_ascii=False) + "\n")
        return
    for e in entries:
        packs = ", ".join(f"{p['id']} {p['version']}" for p in e.packs)
        sys.stdout.write(
            f"{e.id:>6}  {e.created_at:%Y-%m-%d %H:%M:%S}Z  {e.action:<8} {e.actor or '-':<12} "
            f"{e.source:<4} {e.guideline or '':<10} [{packs}]  "
            f"{(e.input_digest or e.saved_patient_id or e.detail or '')[:19]}\n"
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


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        str | None,
        typer.Option(
            help="a head hash printed by an earlier verify (ID:HASH): check the chain still "
            "holds it (detects a rewritten history)"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Recompute the audit hash chain: exit 0 when intact, 1 naming each changed, inserted
    or deleted row (docs/security.md)."""
    from mmpath.store import StoreError

    store = _store(database_url)
    try:
        result = store.verify_audit()
        if head is not None:
            ident, _, expected = head.partition(":")
            if not ident.isdigit() or len(expected) != 64:
                _fail([f"--head: expected ID:HASH (64 hex digits), got {head[:80]!r}"])
            entry = store.get_audit(int(ident))
            if entry is None or entry.row_hash != expected:
                result.problems.append(
                    f"row {ident}: its hash is not the one recorded earlier ({expected[:12]}…): "
                    "the history up to it was rewritten"
                )
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(result.as_json()) + "\n")
    else:
        for line in result.problems:
            err.print(line, markup=False, highlight=False, soft_wrap=True)
        state = "intact" if result.ok else f"NOT intact ({len(result.problems)} problems)"
        sys.stdout.write(
            f"audit chain {state}: {result.rows} rows, head {result.head_id}:{result.head_hash}, "
            f"{result.payloads_checked} payloads checked, {result.payloads_pruned} pruned\n"
        )
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("prune")
def audit_prune(
    older_than_days: Annotated[
        int, typer.Option(min=1, help="delete records and outputs of rows older than N days")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Retention: delete the stored records and outputs of audit rows older than N days.
    The rows (who, when, what, digests) and the hash chain stay; the pruning is logged."""
    import datetime as dt

    from mmpath.store import StoreError

    store = _store(database_url)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)
    try:
        deleted = store.prune_payloads(before)
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    sys.stdout.write(f"{deleted} payloads before {before:%Y-%m-%d %H:%M}Z deleted\n")


user_app = typer.Typer(help="User accounts for sign-in (docs/security.md).")
app.add_typer(user_app, name="user")

RoleOption = Annotated[str, typer.Option(help="viewer, clinician or admin")]


def _password(prompt: bool) -> str:
    """The new password: ``$MMPATH_PASSWORD``, else asked twice on the terminal."""
    value = os.environ.get("MMPATH_PASSWORD")
    if value:
        return value
    if not prompt:
        _fail(["give the password in $MMPATH_PASSWORD (no terminal to ask on)"])
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        _fail(["the two passwords differ"])
    return str(first)


def _accounts(database_url: str | None, action: Any) -> None:
    from mmpath.auth.accounts import AccountError
    from mmpath.store import StoreError

    store = _store(database_url)
    try:
        detail = action(store)
        if detail:
            store.record_event("user", source="cli", detail=detail, actor=_os_user())
    except AccountError as error:
        _fail([str(error)])
    except StoreError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        store.close()


def _os_user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:200]
    except (KeyError, OSError):
        return "cli"


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="user name (letters, digits, . _ @ -)")],
    role: RoleOption = "clinician",
    oidc_subject: Annotated[
        str | None,
        typer.Option(help="sign in through OpenID Connect only: '<issuer> <sub>' of the user"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user; the password comes from $MMPATH_PASSWORD or is asked for."""
    from mmpath.auth import accounts

    password = None if oidc_subject else _password(sys.stdin.isatty())

    def add(store: Any) -> str:
        accounts.add_user(store, name, role, password, oidc_subject=oidc_subject)
        sys.stdout.write(f"created {role} {name}\n")
        return f"user {name} created ({role})"

    _accounts(database_url, add)


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="user name")], database_url: DatabaseUrl = None
) -> None:
    """Set a user's password (their sessions end)."""
    from mmpath.auth import accounts

    password = _password(sys.stdin.isatty())

    def change(store: Any) -> str:
        accounts.set_password(store, name, password)
        sys.stdout.write(f"password of {name} changed\n")
        return f"user {name}: password changed"

    _accounts(database_url, change)


@user_app.command("role")
def user_role(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Argument(help="viewer, clinician or admin")],
    database_url: DatabaseUrl = None,
) -> None:
    """Change a user's role."""
    from mmpath.auth import accounts

    def change(store: Any) -> str:
        accounts.set_role(store, name, role)
        sys.stdout.write(f"{name} is now {role}\n")
        return f"user {name}: role {role}"

    _accounts(database_url, change)


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="user name")],
    enable: Annotated[bool, typer.Option("--enable", help="enable again instead")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Disable a user: no sign-in; their sessions and API tokens stop working at once."""
    from mmpath.auth import accounts

    def change(store: Any) -> str:
        accounts.set_disabled(store, name, not enable)
        state = "enabled" if enable else "disabled"
        sys.stdout.write(f"{name} {state}\n")
        return f"user {name} {state}"

    _accounts(database_url, change)


@user_app.command("list")
def user_list(database_url: DatabaseUrl = None) -> None:
    """Users, their roles and whether they are disabled."""
    from mmpath.auth import accounts

    def show(store: Any) -> None:
        for user in accounts.list_users(store):
            flag = "  (disabled)" if user.disabled else ""
            sys.stdout.write(f"{user.name:<30} {user.role:<10}{flag}\n")

    _accounts(database_url, show)


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="user name")],
    label: Annotated[str, typer.Option(help="what the token is for")] = "API token",
    revoke: Annotated[int | None, typer.Option(help="revoke the token with this id")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a personal API token for a user (printed once), or --revoke one."""
    from mmpath.auth import accounts

    def act(store: Any) -> str:
        if revoke is not None:
            accounts.revoke_token(store, name, revoke)
            sys.stdout.write(f"token {revoke} of {name} revoked\n")
            return f"user {name}: API token {revoke} revoked"
        sys.stdout.write(accounts.create_token(store, name, label) + "\n")
        return f"user {name}: API token created ({label[:60]})"

    _accounts(database_url, act)


PG_BACKUP = (
    "PostgreSQL: back up with pg_dump (pg_dump -Fc -f mmpath.dump DBNAME) and restore with "
    "pg_restore (pg_restore --clean -d DBNAME mmpath.dump); see docs/security.md"
)


def _sqlite_path(database_url: str | None) -> Path:
    from mmpath.store.url import database_url as resolve

    url = resolve(database_url)
    if not url.startswith("sqlite:///"):
        _fail([PG_BACKUP])
    return Path(url.removeprefix("sqlite:///"))


@app.command()
def backup(
    destination: Annotated[Path, typer.Argument(help="the backup file to write (must not exist)")],
    database_url: DatabaseUrl = None,
) -> None:
    """Copy the SQLite database while the server runs (SQLite online backup API); the copy
    is owner-only and its audit chain is verified."""
    import sqlite3

    source = _sqlite_path(database_url)
    if destination.exists():
        _fail([f"{destination} exists already"])
    if not source.exists():
        _fail([f"no database at {source}"])
    os.close(os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    with sqlite3.connect(source) as live, sqlite3.connect(destination) as copy:
        live.backup(copy)
    live.close()
    copy.close()
    _check_backup(destination)
    sys.stdout.write(f"backed up {source} to {destination}\n")


def _check_backup(path: Path) -> None:
    import sqlite3

    from mmpath.store import Store, StoreError

    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            state = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
    except sqlite3.DatabaseError as error:
        _fail([f"{path}: not an SQLite database ({error})"])
    if state != "ok":
        _fail([f"{path}: SQLite integrity check failed: {state}"])
    try:
        store = Store(f"sqlite:///{path}", migrate=False)
        result = store.verify_audit()
        store.engine.dispose()
    except StoreError as error:
        _fail([f"{path}: {error}"])
    if not result.ok:
        _fail([f"{path}: audit chain not intact: {p}" for p in result.problems])


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="a backup made by `mmpath backup`")],
    database_url: DatabaseUrl = None,
) -> None:
    """Replace the SQLite database with a backup (stop the server first). The backup is
    checked (integrity, audit chain) before anything is replaced."""
    import sqlite3

    target = _sqlite_path(database_url)
    if not source.is_file():
        _fail([f"no backup at {source}"])
    _check_backup(source)
    if not target.exists():
        target.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
    with (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup_db,
        sqlite3.connect(target) as live,
    ):
        backup_db.backup(live)
    backup_db.close()
    live.close()
    sys.stdout.write(f"restored {target} from {source}\n")


# -- FHIR import (issue 13; see docs/fhir.md) ---------------------------------------------

import_app = typer.Typer(help="Import patient records from other systems.")
app.add_typer(import_app, name="import")


def _summary(report: dict[str, Any]) -> list[str]:
    lines = [
        f"{report['patient'] or 'patient'}: {len(report['used'])} resources used, "
        f"{len(report['unused'])} not used, {len(report['guesses'])} guesses, "
        f"{len(report['absent'])} fields unknown"
    ]
    lines += [
        f"  not used: {u['resource']} ({u['where']}): {u['reason']}: {u['detail']}"
        for u in report["unused"]
    ]
    lines += [f"  guess: {g['field']}: {g['detail']}" for g in report["guesses"]]
    lines += [f"  unknown: {a['field']}: {a['detail']}" for a in report["absent"]]
    return lines


@import_app.command("fhir")
def import_fhir_command(
    source: Annotated[Path, typer.Argument(help="FHIR R4 Bundle (.json) or NDJSON (.ndjson)")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the record here (default: stdout)")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="write the import report (JSON) here")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="decision date YYYY-MM-DD (not in FHIR)")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="a region an installed pack declares, e.g. NL (not in FHIR)")
    ] = None,
    complete: Annotated[
        list[str] | None,
        typer.Option(
            help="a list the input holds completely (treatments, procedures, "
            "comorbidities, progressions): empty means none; repeatable"
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="do not print the report summary")] = False,
) -> None:
    """FHIR R4 (mCODE) -> patient record v1, with a report of what was used and why not.

    One patient: the record as JSON. NDJSON or several patients: one JSON line per
    patient, {"record": ..., "report": ...}. Exit status 2 when a record is not valid.
    """
    import datetime as dt

    from mmpath.fhir import import_fhir

    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            _fail([f"--as-of: expected a date YYYY-MM-DD, got {as_of[:20]!r}"])
    try:
        raw = source.read_bytes()
    except OSError as error:
        _fail([f"{source}: cannot read: {error.strerror}"])
    try:
        results = import_fhir(
            raw,
            as_of=day,
            region=region,
            complete=complete or (),
            ndjson=True if source.suffix.lower() == ".ndjson" else None,
        )
    except RecordError as error:
        _fail([f"{source}: {p}" for p in error.problems])
    single = len(results) == 1 and source.suffix.lower() != ".ndjson"
    if single:
        text = json.dumps(results[0].record, indent=2, ensure_ascii=False) + "\n"
    else:
        text = "".join(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in results)
    failed = [r for r in results if r.record is None]
    if report is not None:
        reports = [r.report.as_json() for r in results]
        report.write_text(json.dumps(reports[0] if single else reports, indent=2) + "\n", "utf-8")
    if not quiet:
        for result in results:
            for line in _summary(result.report.as_json()):
                err.print(line, markup=False, highlight=False, soft_wrap=True)
    if single and failed:
        _fail([f"{source}: record {p}" for p in failed[0].problems])
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, "utf-8")
    if failed:
        _fail([f"{source}: {len(failed)} of {len(results)} patients give no valid record"])


# -- end of issue 5 block ---------------------------------------------------------------


@app.command()
def synth(
    patients: Annotated[int, typer.Option("--patients", min=1, help="number of patients")],
    out: Annotated[Path, typer.Option("--out", help="folder for the extract tables")],
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
) -> None:
    """A synthetic cohort in the extract format (docs/cohort.md); same seed, same cohort."""
    from mmpath.cohort.extract import write_extract
    from mmpath.cohort.synth.generate import synthesise

    if fmt not in {"parquet", "csv"}:
        _fail([f"--format: expected parquet or csv (got {fmt!r})"])
    tables = synthesise(patients, seed)
    write_extract(tables, out, fmt)
    counts = ", ".join(f"{name} {frame.height}" for name, frame in tables.items())
    out_text = f"{out}: {counts}"
    err.print(out_text, markup=False, highlight=False, soft_wrap=True)


cohort_app = typer.Typer(
    help="Guideline concordance over a registry extract.", no_args_is_help=True
)
app.add_typer(cohort_app, name="cohort")


@cohort_app.command("evaluate")
def cohort_evaluate(
    extract: Annotated[Path, typer.Argument(help="folder of extract (or OMOP) tables")],
    out: Annotated[Path, typer.Option("--out", help="folder for the results and report")],
    guideline: Annotated[str, typer.Option(help="pack id, or 'all'")] = "all",
    fmt: Annotated[str, typer.Option("--format", help="extract or omop")] = "extract",
    workers: Annotated[
        int | None, typer.Option(min=1, help="worker processes (default: the usable CPUs)")
    ] = None,
    backend_name: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="duckdb (compiled, the default when installed), spark (compiled, Spark SQL) "
            "or reference (the per-patient engine)",
        ),
    ] = None,
) -> None:
    """Judge every treatment decision in EXTRACT against the guidelines; write the results
    (decisions.parquet, decisions.csv, set_aside.csv) and report.html to OUT."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from mmpath.cohort.backend import Backend, ReferenceBackend
    from mmpath.cohort.compiled.backend import CompiledBackend, CompiledEvaluation
    from mmpath.cohort.compiled.engines import available
    from mmpath.cohort.extract import ExtractError
    from mmpath.cohort.run import count_patients, evaluate, load
    from mmpath.engine.packs import UnknownGuideline, select

    try:
        select(guideline)
        data = load(extract, fmt)
    except UnknownGuideline as error:
        _fail([str(error)])
    except ExtractError as error:
        shown = [f"{extract}: {p}" for p in error.problems[:50]]
        more = len(error.problems) - len(shown)
        _fail(
            shown
            + ([f"... and {more} more problems"] if more > 0 else [])
            + ["nothing was evaluated"]
        )
    except ValueError as error:
        _fail([str(error)])
    count = workers or len(os.sched_getaffinity(0)) or 1
    name = backend_name or ("duckdb" if available("duckdb") else "reference")
    backend: Backend
    if name == "reference":
        backend = ReferenceBackend(workers=count)
    elif name in {"duckdb", "spark"}:
        if not available(name):
            _fail(
                [f"--backend {name}: install the {'cohort' if name == 'duckdb' else 'spark'} extra"]
            )
        backend = CompiledBackend(engine=name, workers=count)
    else:
        _fail([f"unknown backend {name!r}; expected duckdb, spark or reference"])
    total = count_patients(data) * getattr(backend, "passes", 1)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(
            "patients" if total == count_patients(data) else "patients x 2", total=total
        )
        result = evaluate(
            data,
            guideline,
            out,
            backend,
            source=str(extract),
            progress=lambda n: bar.advance(task, n),
        )
    if isinstance(result, CompiledEvaluation):
        err.print(
            f"backend {name}: {result.compiled_pairs} (decision, guideline) pairs answered by "
            f"the compiled plan, {result.routed_pairs} routed to the per-patient engine"
            + (
                f" ({result.memo_hits} of them from the projection memo)"
                if result.memo_hits + result.memo_misses
                else ""
            ),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    aside = len({p.patient_id for p in result.set_aside})
    out.mkdir(parents=True, exist_ok=True)
    err.print(
        f"{result.patients} patients, {result.decisions} decisions, {result.files.height} rows; "
        f"{aside} patients set aside (set_aside.csv); report: {out / 'report.html'}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
