"""Record problems: every problem names the field path and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(record)'}: {self.message}"


class RecordError(ValueError):
    """The record does not validate; nothing was evaluated."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class FieldProblem(ValueError):
    """Raised inside a model validator to blame one field of that model."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class FieldProblems(ValueError):
    """Raised inside a model validator to blame several fields of that model at once."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p}" for p in problems))


def path_of(loc: tuple[Any, ...]) -> str:
    """``('treatments', 1, 'end')`` -> ``treatments[1].end``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def problems_from(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblems):
            problems += [Problem(path_of((*loc, p.field)), str(p)) for p in cause.problems]
            continue
        if isinstance(cause, FieldProblem):
            loc = (*loc, cause.field)
            message = str(cause)
        elif item["type"] == "extra_forbidden":
            message = "unknown field (not in patient-record-v1)"
        elif item["type"] == "missing":
            message = "required field is missing"
        else:
            message = item["msg"].removeprefix("Value error, ")
            message += f" (got {_describe(item.get('input'))})"
        problems.append(Problem(path_of(loc), message))
    return problems
