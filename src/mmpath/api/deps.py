"""FastAPI dependencies: the store and the audited recommend for the current app."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from mmpath.api.service import Audited, recommend_and_audit
from mmpath.api.settings import Settings
from mmpath.store import Store


def get_store(request: Request) -> Store:
    """``Depends(get_store)``: the app's :class:`~mmpath.store.Store`."""
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def recommend_for(
    request: Request,
    data: Any,
    guideline: str = "all",
    *,
    source: str = "api",
    saved_patient_id: str | None = None,
) -> Audited:
    """Recommend for a decoded record and audit it as this app is configured to."""
    settings = get_settings(request)
    store = get_store(request) if settings.audit else None
    return recommend_and_audit(
        store, data, guideline, source=source, saved_patient_id=saved_patient_id
    )
