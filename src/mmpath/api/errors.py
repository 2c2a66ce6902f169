"""Error responses: one JSON shape, ``{"detail": ..., "problems": [{"path", "message"}]}``.

Bad input is always a 4xx naming what is wrong; a database failure is a 503 saying so.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from mmpath.engine.packs import UnknownGuideline
from mmpath.record.errors import Problem, RecordError, path_of
from mmpath.store import StoreError


class ApiError(Exception):
    def __init__(
        self, status: int, detail: str, problems: list[Problem] | None = None, **extra: Any
    ) -> None:
        self.status = status
        self.detail = detail
        self.problems = problems or []
        self.extra = extra
        super().__init__(detail)


def problem_json(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"path": p.path, "message": p.message} for p in problems]


def record_error(error: RecordError) -> ApiError:
    count = len(error.problems)
    return ApiError(
        422,
        f"the patient record is not valid ({count} problem{'s' if count != 1 else ''})",
        error.problems,
    )


def _respond(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"detail": error.detail, **error.extra}
    if error.problems:
        body["problems"] = problem_json(error.problems)
    return JSONResponse(body, status_code=error.status)


def install(app: FastAPI) -> None:
    async def on_api_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return _respond(error)

    async def on_record_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RecordError)
        return _respond(record_error(error))

    async def on_unknown_guideline(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, UnknownGuideline)
        return _respond(ApiError(404, str(error), known=error.known))

    async def on_store_error(_request: Request, error: Exception) -> JSONResponse:
        return _respond(ApiError(503, f"the database is not available: {error}"))

    async def on_request_validation(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = [
            Problem(path_of(tuple(e.get("loc", ()))), str(e.get("msg", "invalid")))
            for e in error.errors()
        ]
        return _respond(ApiError(422, "the request is not valid", problems))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RecordError, on_record_error)
    app.add_exception_handler(UnknownGuideline, on_unknown_guideline)
    app.add_exception_handler(StoreError, on_store_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
