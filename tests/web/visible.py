"""The text a reader sees on a page: text nodes outside script/style/template and
outside elements hidden from everyone (``hidden``, ``<input type=hidden>`` carries no
text anyway); attribute values are not read."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "template", "title"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _hidden(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        a = dict(attrs)
        skip = tag in _SKIP or "hidden" in a or "data-technical" in a
        self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


#: what a clinician must not read (issue 10): internal ids and codes, record paths,
#: seed file names, true/false
LEAKS: dict[str, re.Pattern[str]] = {
    "snake_case code": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "note:/dosing: id": re.compile(r"\b(?:note|dosing|caution|rule|option):[\w.-]+"),
    "record path": re.compile(r"\b[a-z_]+\[\d+\](?:\.[a-z_]+)?"),
    "seed file": re.compile(r"\b\d{3}_[^\s]*\.txt\b|\bseed \d{3}\b", re.IGNORECASE),
    # Python's literals anywhere; lowercase true/false where they stand for a value
    # ("relapsed: false", "= true", "would give true"), not in prose ("'true' EMD")
    "true/false": re.compile(
        r"\b(?:True|False|None|null)\b(?! of\b)|(?<=[:=] )(?:true|false)\b"
        r"|\bgive (?:true|false)\b|\((?:true|false)\)"
    ),
}


def leaks(text: str) -> list[str]:
    found = []
    for kind, pattern in LEAKS.items():
        for match in pattern.finditer(text):
            start = max(0, match.start() - 40)
            found.append(f"{kind}: {match.group(0)!r} in …{text[start : match.end() + 40]}…")
    return found
