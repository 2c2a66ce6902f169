"""FastAPI dependencies: the store and the audited recommend for the current app."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from mmpath.api.service import Audited, recommend_and_audit_async
from mmpath.api.settings import Settings
from mmpath.store import Store


def get_store(request: Request) -> Store:
    """``Depends(get_store)``: the app's :class:`~mmpath.store.Store`."""
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def recommend_for(
    request: Request,
    data: Any,
    guideline: str = "all",
    *,
    source: str = "api",
    saved_patient_id: str | None = None,
) -> Audited:
    """Recommend for a decoded record and audit it as this app is configured to (the one
    path of the API, the web pages and CDS Hooks; see :mod:`mmpath.api.service`)."""
    settings = get_settings(request)
    store = get_store(request) if settings.audit else None
    return await recommend_and_audit_async(
        store, data, guideline, source=source, saved_patient_id=saved_patient_id
    )
