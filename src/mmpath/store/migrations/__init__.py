"""Alembic migrations of the mmpath database (applied by :func:`mmpath.store.migrate.upgrade`)."""
