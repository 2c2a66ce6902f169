"""The HTTP API (FastAPI): ``create_app()`` in :mod:`mmpath.api.app`; see docs/http-api.md."""
