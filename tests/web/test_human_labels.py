"""Every page a clinician reads speaks words, not internal names (issue 10): for every
shipped example, the result page of each guideline, the comparison, the print summary
(each guideline) and its PDF, the patient page, the patient list, the audit trail, the
guideline pages, the pathway picture for the patient and the About page are rendered and
their visible text searched for internal ids (``note:…``, ``dosing:…``), snake_case codes
(``not_reimbursed``, ``clinical_trial``, fact names), record paths (``treatments[0].end``),
seed file names and Python's True/False/None. Collapsed technical text a page labels as
such (the Mermaid source, a saved version's record JSON) is marked ``data-technical``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mmpath.engine.packs import load_packs
from mmpath.record.load import decode
from mmpath.store import Store
from mmpath.web.examples import example_names
from signin import signed_in_client
from web.visible import leaks, visible_text

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "mmpath" / "examples"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("labels")
    store = Store(f"sqlite:///{folder / 'labels.sqlite3'}")
    try:
        yield signed_in_client(store, "clinician", raise_server_exceptions=True)
    finally:
        store.close()


def _record(name: str) -> str:
    path = EXAMPLES / name
    data = decode(path.read_text("utf-8"), yaml_syntax=path.suffix != ".json")
    return json.dumps(data, default=str)


def _page(client: TestClient, url: str, **post: Any) -> str:
    response = client.post(url, data=post) if post else client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.text


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("pdftotext (poppler-utils) is required in CI: .ci/browser.sh")
        pytest.skip("pdftotext not installed (poppler-utils)")
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"\s+", " ", done.stdout)


@pytest.mark.parametrize("name", example_names())
def test_every_page_of_every_example_speaks_words(
    client: TestClient, name: str, tmp_path: Path
) -> None:
    record = _record(name)
    found: list[str] = []

    def check(where: str, html: str) -> None:
        found.extend(f"{where}: {leak}" for leak in leaks(visible_text(html)))

    shown = client.post("/evaluate", data={"record": record}, follow_redirects=False)
    assert shown.status_code == 303, shown.text[:500]
    result = shown.headers["location"].split("?")[0]
    first = _page(client, result)
    check(result, first)
    for guideline in sorted(set(re.findall(r'data-guideline="([a-z0-9-]+)"', first))):
        check(f"{result}?guideline={guideline}", _page(client, f"{result}?guideline={guideline}"))
        summary = f"{result}/summary?guideline={guideline}"
        check(summary, _page(client, summary))
        pdf = client.get(f"{result}/summary.pdf?guideline={guideline}")
        assert pdf.status_code == 200
        found.extend(f"{summary}.pdf: {leak}" for leak in leaks(_pdf_text(pdf.content, tmp_path)))
        path = f"/guidelines/{guideline}/path"
        check(path, _page(client, path, record=record))
    check(f"{result}/compare", _page(client, f"{result}/compare"))
    saved = client.post("/patients/save", data={"record": record}, follow_redirects=False)
    patient = saved.headers["location"].split("?")[0]
    client.post("/evaluate", data={"record": record, "_patient_id": patient.rsplit("/", 1)[1]})
    check(patient, _page(client, patient))
    for url in ("/patients", "/audit", "/about", "/guidelines"):
        check(url, _page(client, url))
    assert found == [], "\n".join(found[:40])


def test_decision_summary_names_drug_classes_in_words(client: TestClient) -> None:
    """Class codes without an underscore (``imid``) are words too, on the page and PDF."""
    shown = client.post(
        "/evaluate",
        data={"record": _record("first-relapse-on-lenalidomide.json")},
        follow_redirects=False,
    )
    text = visible_text(_page(client, shown.headers["location"].split("?")[0] + "/summary"))
    assert "IMiD" in text
    assert not re.search(r"\bimid\b", text)


def test_every_guideline_page_speaks_words(client: TestClient) -> None:
    found = [
        f"/guidelines/{pack}: {leak}"
        for pack in load_packs()
        for leak in leaks(visible_text(_page(client, f"/guidelines/{pack}")))
    ]
    assert found == [], "\n".join(found[:40])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("affects note:aggressive-goal", "note:/dosing: id"),
        ("Availability not_reimbursed", "snake_case code"),
        ("(treatments[0].end)", "record path"),
        ("source 000_14bb4b2e1a3a6e25.txt", "seed file"),
        ("relapsed: false", "true/false"),
        ("pi_refractory: False", "true/false"),
    ],
)
def test_the_check_finds_each_kind_of_leak(text: str, kind: str) -> None:
    assert any(leak.startswith(kind) for leak in leaks(text)), leaks(text)
