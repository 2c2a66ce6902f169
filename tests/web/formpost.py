"""What a browser submits for a rendered form (HTML form submission, without a browser).

Follows the HTML rules for the successful controls of one ``<form>``: text-like inputs
and hidden inputs send their value, checkboxes and radios only when checked, a select
its selected option (else its first), disabled controls and ``<template>`` content
nothing, and no submit button.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _Form(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.template = 0
        self.fields: list[tuple[str, str]] = []
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: list[str] | None = None
        self._option_attrs: dict[str, str | None] = {}
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if tag == "template":
            self.template += 1
        if not self.inside or self.template or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.fields.append((name, a.get("value") if a.get("value") is not None else default))  # type: ignore[arg-type]
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._option = []
            self._option_attrs = a
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.template -= 1
        elif tag == "form":
            self.inside = False
        elif tag == "option" and self._select is not None and self._option is not None:
            value = self._option_attrs.get("value")
            text = "".join(self._option).strip()
            self._select[1].append(
                (text if value is None else value, "selected" in self._option_attrs)
            )
            self._option = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [v for v, sel in options if sel] or [v for v, _ in options[:1]]
            self.fields.extend((name, v) for v in chosen[-1:])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None


def submitted(html: str, form_id: str) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser posts for the form ``form_id`` as rendered."""
    parser = _Form(form_id)
    parser.feed(html)
    return parser.fields
