"""Settings of the HTTP app (the CLI's ``mmpath serve`` options map onto these)."""

from __future__ import annotations

from dataclasses import dataclass

#: Largest request body accepted (bytes); a full patient record is a few kilobytes.
DEFAULT_MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class Settings:
    #: SQLAlchemy URL; None: ``$MMPATH_DATABASE_URL``, else SQLite in the user data dir.
    database_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: Store every recommendation in the audit trail. Only the benchmark in bench/http
    #: turns this off, to measure what the audit write costs; no CLI option or env var.
    audit: bool = True
