"""Configuration of the CDS Hooks service (set by the admin; docs/cds-hooks.md).

Read from the TOML file named by ``$MMPATH_CDS_CONFIG``::

    base_url = "https://mmpath.hospital.example"   # this service's public URL (JWT aud)
    region = "NL"                                   # where patients are treated
    allow_http_loopback = false                     # tests only: http://127.0.0.1 URLs

    [issuers."https://ehr.hospital.example"]        # the allow-list of EHRs (JWT iss)
    jku = ["https://ehr.hospital.example/jwks.json"]  # JWK Set URLs this issuer may name
    jwks_file = "/etc/mmpath/ehr-jwks.json"           # or keys configured out of band

Without a configuration the ``/cds-services`` endpoints answer 503.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_VAR = "MMPATH_CDS_CONFIG"

#: Asymmetric JWS algorithms only: CDS Hooks forbids ``none`` and every symmetric
#: (HMAC) algorithm; ES384 and RS384 are the spec's recommended ones.
ALGORITHMS: tuple[str, ...] = (
    "ES256",
    "ES384",
    "ES512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
)
#: Tokens must be short-lived: ``exp - iat`` at most this many seconds.
MAX_TOKEN_LIFETIME = 3600
#: Allowed clock difference between the EHR and mmpath (seconds).
LEEWAY = 60


class CdsConfigError(ValueError):
    """The configuration file is missing, unreadable or wrong (the message says where)."""


@dataclass(frozen=True)
class Issuer:
    jku: tuple[str, ...] = ()
    jwks: dict[str, Any] | None = None  # a JWK Set configured out of band


@dataclass(frozen=True)
class CdsConfig:
    base_url: str
    issuers: dict[str, Issuer]
    region: str | None = None
    algorithms: tuple[str, ...] = ALGORITHMS
    allow_http_loopback: bool = False
    #: Seconds since the epoch, and today's date: replaced in tests.
    clock: Callable[[], float] = field(default=time.time, compare=False)
    today: Callable[[], dt.date] = field(default=dt.date.today, compare=False)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def url_allowed(self, url: str) -> bool:
        """https, or http to a loopback host when ``allow_http_loopback`` (tests)."""
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return True
        return (
            self.allow_http_loopback
            and parts.scheme == "http"
            and parts.hostname in ("127.0.0.1", "localhost", "::1")
        )


def load_config(path: str | Path | None = None) -> CdsConfig | None:
    """The configuration from ``path`` or ``$MMPATH_CDS_CONFIG``; None when neither."""
    path = path or os.environ.get(ENV_VAR)
    if not path:
        return None
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as error:
        raise CdsConfigError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise CdsConfigError(f"{path}: not valid TOML: {error}") from None
    base_url = data.get("base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
        raise CdsConfigError(f"{path}: base_url: expected this service's URL (https://...)")
    issuers: dict[str, Issuer] = {}
    for iss, spec in (data.get("issuers") or {}).items():
        jku = tuple(spec.get("jku") or ())
        jwks = None
        if spec.get("jwks_file"):
            try:
                jwks = json.loads(Path(spec["jwks_file"]).read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise CdsConfigError(f"{path}: issuers.{iss}.jwks_file: {error}") from None
        if not jku and jwks is None:
            raise CdsConfigError(f"{path}: issuers.{iss}: give jku URLs or a jwks_file")
        issuers[iss] = Issuer(jku=jku, jwks=jwks)
    if not issuers:
        raise CdsConfigError(f"{path}: issuers: the allow-list of EHRs is empty")
    algorithms = tuple(data.get("algorithms") or ALGORITHMS)
    bad = sorted(set(algorithms) - set(ALGORITHMS))
    if bad:
        raise CdsConfigError(f"{path}: algorithms: {', '.join(bad)} not allowed (asymmetric only)")
    return CdsConfig(
        base_url=base_url,
        issuers=issuers,
        region=data.get("region"),
        algorithms=algorithms,
        allow_http_loopback=bool(data.get("allow_http_loopback", False)),
    )
