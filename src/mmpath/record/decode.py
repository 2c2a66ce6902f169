"""The one strict decoder for patient records, whatever the path (CLI, API, web form, import).

Every record reaches :func:`mmpath.record.load.parse_record` through these functions, so
the same input is refused the same way everywhere (docs/record-validation.md, "Limits"):

* **JSON**: no ``NaN``/``Infinity`` constants, no number that overflows a float, integers
  of at most 4300 digits (Python's own limit), nesting bounded (a deeply nested text is a
  problem, not a ``RecursionError``).
* **YAML**: the safe loader, with **aliases refused** (``*name``): a record never needs
  them, and a few hundred bytes of nested aliases ("billion laughs") otherwise expand to
  gigabytes. ``.inf``/``.nan`` are refused like JSON's constants by the record model.
* **Limits of a decoded record** (:func:`limit_problems`): nesting depth, items in a list,
  characters in a string or field name; control characters (other than tab, line feed,
  carriage return) and Unicode bidirectional controls are refused in every string, since
  they make what is shown differ from what is stored ("Trojan Source", CVE-2021-42574).

Messages never echo the input beyond a short excerpt (:func:`excerpt`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from mmpath.record.errors import Problem, RecordError

#: Largest record file or upload (bytes); a full record is a few kilobytes.
MAX_FILE_BYTES: Final = 1_000_000
#: Deepest nesting of objects/lists in a record (patient-record-v1 needs 4).
MAX_DEPTH: Final = 16
#: Most items in one list (labs, treatments, ...) of a record.
MAX_ITEMS: Final = 2000
#: Longest string (characters) anywhere in a record, field names included.
MAX_STRING: Final = 10_000
#: The bidirectional formatting characters (Unicode TR #9): embeddings, overrides, isolates
#: and the implicit marks.
BIDI: Final = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALLOWED_CONTROLS: Final = frozenset("\t\n\r")
#: Every character :func:`_char_problem` refuses, as one class, so a string is scanned at C
#: speed (tests/record/test_decode_limits.py checks it against every code point).
_REFUSED: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(BIDI)) + "]"
)


def excerpt(text: str, limit: int = 40) -> str:
    """``repr`` of at most ``limit`` characters of ``text`` (for messages)."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return repr(shown)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (use a finite number or leave it out)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {excerpt(text, 20)} is out of range")
    return value


class JsonTextError(ValueError):
    """JSON text that :func:`loads_strict` refuses; the message says why, in a user's words."""


def loads_strict(text: str) -> Any:
    """Decode JSON text strictly (see the module docstring): no NaN/Infinity, no overflowing
    numbers; problems raise :class:`JsonTextError` (``str`` of it starts "not valid JSON")."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except json.JSONDecodeError as error:
        message = f"not valid JSON (line {error.lineno} column {error.colno}): {error.msg}"
    except RecursionError:
        message = f"not valid JSON: nested too deeply (more than {MAX_DEPTH} levels)"
    except ValueError as error:  # NaN/Infinity, overflowing floats, too many digits
        message = f"not valid JSON: {str(error)[:200]}"
    raise JsonTextError(message)


def strict_json(text: str, where: str = "") -> Any:
    """Decode JSON text strictly (:func:`loads_strict`); problems raise ``RecordError``."""
    try:
        return loads_strict(text)
    except JsonTextError as error:
        raise RecordError([Problem("", f"{where}: {error}" if where else str(error))]) from None


def safe_yaml(text: str, where: str = "") -> Any:
    """Decode YAML text with the safe loader, aliases refused; problems raise ``RecordError``
    (``record.decode_yaml``, imported only for YAML: PyYAML is not needed for JSON)."""
    from mmpath.record.decode_yaml import safe_yaml as decode

    return decode(text, where)


def decode_text(text: str, *, yaml_syntax: bool, where: str = "") -> Any:
    """JSON (or YAML) text -> a decoded value, then :func:`check_limits`."""
    data = safe_yaml(text, where) if yaml_syntax else strict_json(text, where)
    check_limits(data)
    return data


def decode_bytes(raw: bytes, *, yaml_syntax: bool, where: str = "") -> Any:
    """As :func:`decode_text`, from bytes that must be UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = f"{where}: " if where else ""
        message = f"{prefix}not UTF-8 text (byte {error.start})"
        raise RecordError([Problem("", message)]) from None
    return decode_text(text.removeprefix("\ufeff"), yaml_syntax=yaml_syntax, where=where)


def _char_problem(char: str) -> str | None:
    """Why one character is refused in a record's text, or None."""
    if 0xD800 <= ord(char) <= 0xDFFF:
        return "text contains an unpaired UTF-16 surrogate"
    if char in BIDI:
        return f"text contains the bidirectional control U+{ord(char):04X}"
    if (ord(char) < 0x20 and char not in _ALLOWED_CONTROLS) or 0x7F <= ord(char) < 0xA0:
        return f"text contains the control character U+{ord(char):04X}"
    return None


def _text_problem(text: str) -> str | None:
    """The first problem of ``text``: too long, or its first refused character."""
    if len(text) > MAX_STRING:
        return f"text longer than {MAX_STRING} characters ({len(text)})"
    found = _REFUSED.search(text)
    return None if found is None else _char_problem(found.group())


Where = tuple[Any, str | int] | None
"""Where an item is: None (the top) or (where its container is, key name or list index)."""


def _path(where: Where) -> str:
    """The field path of ``where``, as problems name it (``labs[0].unit``; a key longer
    than 60 characters shortened)."""
    steps: list[str | int] = []
    while where is not None:
        where, step = where
        steps.append(step)
    path = ""
    for step in reversed(steps):
        if isinstance(step, int):
            path = f"{path}[{step}]"
        else:
            shown = step if len(step) <= 60 else step[:60] + "…"
            path = f"{path}.{shown}" if path else shown
    return path


def limit_problems(value: Any, *, limit: int = 20) -> list[Problem]:
    """Every place ``value`` exceeds the limits above, by field path (at most ``limit``).

    Paths are built only for the problems found (a clean record of a few hundred values is
    walked without formatting one)."""
    found: list[tuple[Where, str]] = []
    stack: list[tuple[Where, Any, int]] = [(None, value, 0)]
    while stack and len(found) < limit:
        where, item, depth = stack.pop()
        if isinstance(item, dict | list) and depth >= MAX_DEPTH:
            found.append((where, f"nested more than {MAX_DEPTH} levels"))
            continue
        if isinstance(item, dict):
            for key, sub in item.items():
                name = str(key)
                here = (where, name)
                if len(name) > MAX_STRING or _REFUSED.search(name):
                    found.append((here, f"field name: {_text_problem(name)}"))
                    continue
                stack.append((here, sub, depth + 1))
        elif isinstance(item, list):
            if len(item) > MAX_ITEMS:
                found.append((where, f"more than {MAX_ITEMS} items ({len(item)})"))
                continue
            stack.extend(((where, i), sub, depth + 1) for i, sub in enumerate(item))
        elif isinstance(item, str):
            if len(item) > MAX_STRING or _REFUSED.search(item):
                found.append((where, str(_text_problem(item))))
        elif isinstance(item, float) and not math.isfinite(item):
            found.append((where, "expected a finite number"))
    return sorted((Problem(_path(w), message) for w, message in found), key=lambda p: p.path)


def check_limits(value: Any) -> None:
    """Raise ``RecordError`` listing :func:`limit_problems`, or return."""
    problems = limit_problems(value)
    if problems:
        raise RecordError(problems)


def displayable(value: Any) -> Any:
    """``value`` with unpaired surrogates replaced (U+FFFD), so that a page can show it."""
    if isinstance(value, dict):
        return {displayable(k): displayable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [displayable(v) for v in value]
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value
