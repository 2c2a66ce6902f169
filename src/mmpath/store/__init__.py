"""Persistence: saved patients and the audit trail (SQLAlchemy 2 + Alembic).

Usage (see docs/http-api.md)::

    store = Store()            # $MMPATH_DATABASE_URL or SQLite in the user data dir
    pid = store.create_patient(record_dict)
    audit_id = store.record_recommendation(record_dict, "all", recommendation_out)
"""

from mmpath.store.canonical import canonical_json, digest
from mmpath.store.store import AuditEntry, SavedPatient, Store, StoreError
from mmpath.store.url import database_url, default_sqlite_path

__all__ = [
    "AuditEntry",
    "SavedPatient",
    "Store",
    "StoreError",
    "canonical_json",
    "database_url",
    "default_sqlite_path",
    "digest",
]
