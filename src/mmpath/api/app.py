"""``create_app()``: the FastAPI application (HTTP API, docs page and the web pages)."""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import FastAPI

from mmpath import __version__
from mmpath.api import docs, errors, heap, openapi, retention
from mmpath.api.body import BodyLimit
from mmpath.api.fhir_routes import router as fhir_router
from mmpath.api.routes import router
from mmpath.api.settings import Settings
from mmpath.auth import oidc, pages
from mmpath.auth.middleware import Policy, Security
from mmpath.cds.router import router as cds_router
from mmpath.store import Store

DESCRIPTION = (
    "Multiple-myeloma treatment options from published guidelines, with their sources. "
    "Every recommendation is stored in the audit trail. See docs/http-api.md."
)


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the app; opens (and migrates) the database unless ``store`` is given.

    Raises :class:`~mmpath.store.StoreError` when the database cannot be opened.
    """
    settings = settings or Settings()
    app = FastAPI(
        title="mmpath",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served from vendored assets by mmpath.api.docs
        redoc_url=None,
        lifespan=retention.lifespan,  # audit payload retention (issue 11)
    )
    app.state.settings = settings
    app.state.store = store if store is not None else Store(settings.database_url)
    errors.install(app)
    openapi.install(app)
    docs.install(app)
    app.include_router(router)
    app.include_router(fhir_router)  # issue 13: POST /api/v1/import/fhir
    app.include_router(cds_router)  # issue 13: CDS Hooks at /cds-services (JWT, not sessions)
    if _has_module("mmpath.web.routes"):
        # the web pages (src/mmpath/web) are optional for the API; imported by name so
        # the API works, and type-checks, before that package exists
        web = importlib.import_module("mmpath.web.routes")
        app.include_router(web.router)
        app.include_router(importlib.import_module("mmpath.web.workflow").router)  # issue 10
        app.include_router(importlib.import_module("mmpath.web.guidelines").router)  # issue 12
    app.include_router(pages.router)  # issue 11: sign-in, account, API tokens
    app.include_router(oidc.router)  # issue 11: OpenID Connect sign-in
    # order: the body limit runs first (outermost), then the security middleware
    app.add_middleware(
        Security,
        settings=Policy(
            auth=settings.auth,
            allowed_hosts=settings.allowed_hosts,
            secure_cookies=settings.secure_cookies,
            rate_per_minute=settings.rate_per_minute,
            rate_burst=settings.rate_burst,
            signin_per_minute=settings.signin_per_minute,
            max_body_bytes=settings.max_body_bytes,
        ),
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def create_served_app() -> FastAPI:
    """``create_app()`` from the environment, for a server process: its heap warmed and
    frozen afterwards (:mod:`mmpath.api.heap`). ``mmpath serve`` uses it (one process, or
    each worker process by this factory's name)."""
    app = create_app()
    heap.settle()
    return app
