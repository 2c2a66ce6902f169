"""Errors of the CDS Hooks service, answered as a FHIR OperationOutcome.

CDS Hooks: "If a CDS Service encounters an error and returns a non-2xx HTTP status, the
CDS Service SHOULD include an OperationOutcome resource in the response body". The
diagnostics name what was wrong (never patient data).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class CdsError(Exception):
    def __init__(
        self,
        status: int,
        text: str,
        *,
        code: str = "processing",
        expression: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.text = text
        self.code = code
        self.expression = expression or []
        self.headers = headers or {}
        super().__init__(text)

    def outcome(self) -> dict[str, Any]:
        issue: dict[str, Any] = {"severity": "error", "code": self.code, "diagnostics": self.text}
        if self.expression:
            issue["expression"] = self.expression
        return {"resourceType": "OperationOutcome", "issue": [issue]}

    def response(self) -> JSONResponse:
        return JSONResponse(self.outcome(), status_code=self.status, headers=self.headers)


def unauthorized(reason: str) -> CdsError:
    """401 with the reason (RFC 6750: ``WWW-Authenticate: Bearer error="invalid_token"``)."""
    return CdsError(
        401,
        f"authentication failed: {reason}",
        code="security",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
