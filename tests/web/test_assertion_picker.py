"""The clinician-assertion picker and the comorbidity boxes speak a clinician's words
(issue 10): every assertable fact has a label and a topic, the comorbidity wording is the
one docs/web.md documents for the record spec's codes, and the rendered form shows them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import pytest
from fastapi.testclient import TestClient

from mmpath.record.model import Comorbidity
from mmpath.store import Store
from mmpath.web import form as F
from mmpath.web.fact_labels import COMORBIDITIES, OTHER, picker_groups, topic_and_label
from signin import signed_in_client

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "spec" / "patient-record-v1.md"


def test_every_assertable_fact_has_a_topic_and_a_label() -> None:
    facts = F.boolean_facts()
    unlabelled = [name for name in facts if topic_and_label(name) is None]
    assert unlabelled == [], "add these facts to web/fact_labels.py TOPICS"
    groups = picker_groups(facts)
    assert OTHER not in [topic for topic, _ in groups]
    listed = [fact for _, rows in groups for fact, _ in rows]
    assert sorted(listed) == sorted(facts)  # each fact once
    labels = [label for _, rows in groups for _, label in rows]
    assert len(set(labels)) == len(labels), "two facts share a label"
    for label in labels:
        assert "_" not in label, label
        assert label[0].isupper() or label[0] in "td", label  # t(11;14), del(17p)


def test_labels_name_only_facts_that_exist() -> None:
    from mmpath.web.fact_labels import TOPICS

    facts = set(F.boolean_facts())
    stale = [fact for topic in TOPICS.values() for fact in topic if fact not in facts]
    assert stale == []


def test_comorbidity_labels_cover_the_record_vocabulary_in_its_order() -> None:
    assert list(COMORBIDITIES) == list(get_args(Comorbidity))
    if SPEC.exists():  # the spec is beside the clone only in development
        spec = SPEC.read_text("utf-8").split("## Comorbidity vocabulary")[1].split("##")[0]
        assert re.findall(r"`([a-z_]+)`", spec) == list(COMORBIDITIES)


def test_docs_list_the_comorbidity_wording_the_form_shows() -> None:
    docs = (ROOT / "docs" / "web.md").read_text("utf-8")
    rows = dict(re.findall(r"^\s*\| `([a-z_]+)` \| ([^|]+?) \|$", docs, re.MULTILINE))
    assert {code: rows.get(code) for code in COMORBIDITIES} == COMORBIDITIES


class _Controls(HTMLParser):
    """The assertion select's optgroups/options and the comorbidity boxes' labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.groups: list[tuple[str, list[tuple[str, str]]]] = []
        self.boxes: dict[str, str] = {}
        self._in_fact = False
        self._option: str | None = None
        self._box: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self._in_fact = (a.get("name") or "").endswith("].fact")
        elif tag == "optgroup" and self._in_fact:
            self.groups.append((a.get("label") or "", []))
        elif tag == "option" and self._in_fact and a.get("value"):
            self._option, self._text = a["value"], []
        elif tag == "input" and a.get("name") == "comorbidities":
            self._box, self._text = a.get("value"), []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            if self.groups:
                self.groups[-1][1].append((self._option, "".join(self._text).strip()))
            self._option = None
        elif tag == "label" and self._box is not None:
            self.boxes[self._box] = "".join(self._text).strip()
            self._box = None
        elif tag == "select":
            self._in_fact = False


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path / 'picker.sqlite3'}")
    try:
        yield signed_in_client(store, "clinician", raise_server_exceptions=True)
    finally:
        store.close()


def test_the_form_shows_grouped_labels_not_fact_names(client: TestClient) -> None:
    page = client.get("/examples/first-relapse-on-lenalidomide.json")
    assert page.status_code == 200
    controls = _Controls()
    controls.feed(page.text)
    # one assertion row at least (blank row); take its select's groups
    groups = controls.groups[: len(picker_groups(F.boolean_facts()))]
    assert [(t, rows) for t, rows in groups] == picker_groups(F.boolean_facts())
    for _, rows in groups:
        for value, text in rows:
            assert text != value and "_" not in text
    assert controls.boxes == COMORBIDITIES
    assert "Comorbidities assessed" in page.text
