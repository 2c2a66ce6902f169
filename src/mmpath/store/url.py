"""Which database mmpath uses: ``MMPATH_DATABASE_URL``, else SQLite in the user's data dir."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

ENV_VAR = "MMPATH_DATABASE_URL"


def default_sqlite_path() -> Path:
    """``<user data dir>/mmpath.sqlite3`` (e.g. ``~/.local/share/mmpath`` on Linux)."""
    return user_data_path("mmpath", appauthor=False) / "mmpath.sqlite3"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: ``explicit``, else ``$MMPATH_DATABASE_URL``, else the default SQLite file.

    ``postgresql://`` and ``postgres://`` URLs are given the psycopg (version 3) driver, the
    one mmpath installs; other SQLAlchemy URLs are used as they are.
    """
    url = explicit or os.environ.get(ENV_VAR) or f"sqlite:///{default_sqlite_path()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the engine, not here
        return url
