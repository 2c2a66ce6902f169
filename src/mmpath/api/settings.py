"""Settings of the HTTP app (the CLI's ``mmpath serve`` options map onto these)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

#: Largest request body accepted (bytes); a full patient record is a few kilobytes.
DEFAULT_MAX_BODY_BYTES = 1_000_000
#: The Host names served when none are given: the loopback names.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _env_hosts() -> tuple[str, ...]:
    extra = [h.strip() for h in os.environ.get("MMPATH_ALLOWED_HOSTS", "").split(",")]
    return LOOPBACK_HOSTS + tuple(h for h in extra if h)


def _env_auth() -> bool:
    # only `mmpath serve --no-auth` sets this (after checking the address is loopback)
    return os.environ.get("MMPATH_NO_AUTH", "") != "1"


def _env_oidc() -> object | None:
    issuer, client = os.environ.get("MMPATH_OIDC_ISSUER"), os.environ.get("MMPATH_OIDC_CLIENT_ID")
    if not issuer or not client:
        return None
    from mmpath.auth.oidc import OidcConfig

    return OidcConfig(
        issuer=issuer,
        client_id=client,
        client_secret=os.environ.get("MMPATH_OIDC_CLIENT_SECRET") or None,
        new_users=os.environ.get("MMPATH_OIDC_NEW_USERS") or None,
    )


#: ``mmpath serve --audit-retention-days N`` (docs/security.md, "Retention").
RETENTION_VAR = "MMPATH_AUDIT_RETENTION_DAYS"


def retention_days(value: str | None) -> int | None:
    """The retention setting from its text: None (keep forever) for unset or empty, else a
    whole number of days, at least 1 (ValueError otherwise)."""
    if value is None or not value.strip():
        return None
    try:
        days = int(value.strip())
    except ValueError:
        raise ValueError(
            f"{RETENTION_VAR}: expected a whole number of days, got {value[:40]!r}"
        ) from None
    if days < 1:
        raise ValueError(f"{RETENTION_VAR}: expected at least 1 day, got {days}")
    return days


@dataclass(frozen=True, slots=True)
class Settings:
    #: SQLAlchemy URL; None: ``$MMPATH_DATABASE_URL``, else SQLite in the user data dir.
    database_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: Store every recommendation in the audit trail. Only the benchmark in bench/http
    #: turns this off, to measure what the audit write costs; no CLI option or env var.
    audit: bool = True
    #: Sign-in required (docs/security.md). Off only with ``mmpath serve --no-auth`` on a
    #: loopback address.
    auth: bool = field(default_factory=_env_auth)
    #: Host header names served (DNS-rebinding defence); ``$MMPATH_ALLOWED_HOSTS`` adds.
    allowed_hosts: tuple[str, ...] = field(default_factory=_env_hosts)
    #: Mark cookies ``Secure`` (set when serving TLS, or behind a TLS-terminating proxy).
    secure_cookies: bool = field(
        default_factory=lambda: os.environ.get("MMPATH_SECURE_COOKIES", "") == "1"
    )
    #: Requests per minute per user (or client address before sign-in), and the burst.
    rate_per_minute: int = field(
        default_factory=lambda: int(os.environ.get("MMPATH_RATE_PER_MINUTE", "1200"))
    )
    rate_burst: int = 200
    #: Sign-in attempts per minute per client address.
    signin_per_minute: int = 10
    #: OpenID Connect provider (mmpath.auth.oidc.OidcConfig) or None; default from
    #: ``$MMPATH_OIDC_ISSUER``, ``$MMPATH_OIDC_CLIENT_ID``, ``$MMPATH_OIDC_CLIENT_SECRET``,
    #: ``$MMPATH_OIDC_NEW_USERS`` (set by ``mmpath serve --oidc-...``).
    oidc: object | None = field(default_factory=lambda: _env_oidc())
    #: Audit payload retention: the records and outputs of audit rows older than this many
    #: days are pruned when the server starts and then once a day (mmpath.api.retention);
    #: the rows and the hash chain stay. None (the default): kept forever.
    #: ``$MMPATH_AUDIT_RETENTION_DAYS`` (set by ``mmpath serve --audit-retention-days``).
    audit_retention_days: int | None = field(
        default_factory=lambda: retention_days(os.environ.get(RETENTION_VAR))
    )
