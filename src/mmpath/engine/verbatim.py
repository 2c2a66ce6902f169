"""Does a quote appear verbatim in its source document?

The seeds are text extracted from web pages and PDFs, so "verbatim" is judged after
three extraction artefacts are neutralised: runs of white space count as one space; a
hyphen at a line end may be a soft break ("mini-\\nmum" reads "minimum") or a real
hyphen ("DT-\\nPACE" reads "DT-PACE"); and U+FFFD, a lost "fi" ligature, reads "fi".
A quote must match one whole reading; it may not mix the two hyphen readings.
"""

from __future__ import annotations

import re
from functools import cache

_BREAK_HYPHEN = re.compile(r"-[ \t]*\n\s*")
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@cache
def readings(source: str) -> tuple[str, ...]:
    """The source as plain, soft-hyphen-joined and hard-hyphen-joined text."""
    forms = (
        _squash(source),
        _squash(_BREAK_HYPHEN.sub("", source)),
        _squash(_BREAK_HYPHEN.sub("-", source)),
    )
    return tuple(dict.fromkeys(f for form in forms for f in (form, form.replace("\ufffd", "fi"))))


def appears(quote: str, source: str) -> bool:
    wanted = _squash(quote)
    return bool(wanted) and any(wanted in form for form in readings(source))
