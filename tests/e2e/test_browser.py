"""End to end in real headless Chromium: a clinician enters a first relapse and reads it.

The patient is the README example (examples/first-relapse-on-lenalidomide.json:
lenalidomide maintenance after VTd + ASCT, clinical progression on it) plus an
M-protein series for the timeline. It is typed into the form field by field, as a
person would; what the pages must show is computed from the same record by
``mmpath.service.recommend``, and the clinical reference (DVd among the preferred
options of nl-rrmm) is the one the nl-rrmm vignette 01 states.
"""

from __future__ import annotations

import copy
import re
import subprocess
from typing import Any

from e2e.conftest import ARTIFACTS, USER, Server, shot, sign_in_page
from mmpath.record.load import parse_record
from mmpath.service import recommend
from mmpath.store import Store
from mmpath.web.form import field_id
from mmpath.web.labels import fact_label

M_PROTEIN = [  # g/dL: response to VTd + ASCT, then the rise at progression
    ("2023-12-01", 3.2),
    ("2024-04-20", 0.5),
    ("2024-08-20", 0.2),
    ("2026-04-01", 0.4),
    ("2026-10-01", 1.4),
]


def first_relapse(example: dict[str, Any]) -> dict[str, Any]:
    record = copy.deepcopy(example)
    record["id"] = "e2e-first-relapse"
    record["labs"] = [
        {"date": day, "test": "serum_m_protein", "value": value, "unit": "g/dL"}
        for day, value in M_PROTEIN
    ]
    return record


def _set(page: Any, name: str, value: Any) -> None:
    """Enter one value into the input named by record path ``name``, as a user would."""
    target = page.locator(f"#{field_id(name)}")
    if target.count() == 0:  # a row that does not exist yet: press "Add ... row"
        group = name.split("[")[0]
        page.locator(f"[data-add-row='{group}']").click()
    tag = target.evaluate("e => e.tagName")
    if isinstance(value, list) and tag == "DIV":  # a checkbox group
        for item in value:
            target.locator(f"input[value='{item}']").check()
    elif tag == "SELECT":
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        target.select_option(shown)
    else:
        target.fill(", ".join(value) if isinstance(value, list) else str(value))


def fill(page: Any, record: dict[str, Any]) -> None:
    for key, value in record.items():
        if key == "schema_version":
            continue
        if key == "comorbidities":
            page.locator("input[name='comorbidities.assessed']").check()
        if isinstance(value, dict):
            for sub, item in value.items():
                _set(page, f"{key}.{sub}", item)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                for sub, item in row.items():
                    _set(page, f"{key}[{index}].{sub}", item)
        else:
            _set(page, key, value)


def test_first_relapse_in_the_browser(server: Server, page: Any, example: dict[str, Any]) -> None:
    record = first_relapse(example)
    expected = recommend(parse_record(record), "all")
    nl = next(r for r in expected.results if r.guideline.id == "nl-rrmm")
    preferred = [o for o in nl.options if o.tier == "preferred" and o.status == "recommended"]
    assert "DVd" in {o.id for o in preferred}  # the clinical reference (nl-rrmm vignette 01)
    dvd = next(o for o in preferred if o.id == "DVd")

    page.goto(server.url + "/")
    # keyboard: the first tab stop is the skip link, and it leads to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    fill(page, record)
    shot(page, "01-form-filled")

    page.get_by_role("button", name="Show options").click()
    page.wait_for_selector("#g-title")
    result_id = int(re.search(r"/results/(\d+)", page.url)[1])  # type: ignore[index]
    assert page.locator("#g-title").inner_text() == nl.guideline.title
    for option in preferred:
        assert page.locator(f"section.tier-preferred #opt-{option.id}").is_visible()
    card = page.locator("#opt-DVd")
    assert dvd.sources[0].english in card.locator("blockquote").first.inner_text()
    original = card.locator("details.original").first
    assert not original.locator("blockquote").is_visible()
    original.locator("summary").click()
    assert dvd.sources[0].quote in original.locator("blockquote").inner_text()
    assert page.locator("svg.timeline .course").count() == len(record["treatments"])
    assert page.locator("svg.timeline polyline.s-mprotein").count() == 1
    shot(page, "02-result-nl-rrmm")
    page.set_viewport_size({"width": 820, "height": 1100})
    shot(page, "03-result-tablet", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    # a conditional option links back to the form field that would settle it
    conditional = [o for o in nl.options if o.status == "conditional"]
    if conditional:
        block = page.locator(f"#opt-{conditional[0].id} .missing")
        assert fact_label(conditional[0].requires[0]) in block.inner_text()  # in words

    page.get_by_role("link", name="Compare guidelines").click()
    page.wait_for_selector("table.comparison")
    row = page.locator(
        "table.comparison tbody tr", has=page.locator("th", has_text=re.compile(r"^DVd"))
    )
    headers = page.locator("table.comparison thead th").all_inner_texts()
    column = next(i for i, h in enumerate(headers) if h.startswith("nl-rrmm"))
    assert row.locator("td").nth(column - 1).inner_text().startswith("preferred")
    shot(page, "04-comparison")

    page.get_by_role("link", name="Print summary").click()
    page.wait_for_selector("article.summary")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert "DVd" in page.locator("article.summary").inner_text()
    shot(page, "05-print-summary")
    printed = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "05-print-summary.pdf").write_bytes(printed)
    # one sheet for the tumour board: the patient, the decision summary and every preferred
    # option on the first page; only the other guidelines' one-liners may run over
    assert len(re.findall(rb"/Type\s*/Page\b", printed)) <= 2
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(ARTIFACTS / "05-print-summary.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Decision summary" in first_page and "Question for the board" in first_page
    for option in preferred:  # regimens by their id, the rest by name (words, not codes)
        assert option.id in first_page or (option.name or "") in first_page, option.id
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF", exact=True).click()
    pdf = download_info.value
    path = pdf.path()
    assert path is not None
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # an unknown fact links back to the form section that settles it, record kept
    page.get_by_role("link", name="Options", exact=True).click()
    page.wait_for_selector("#missing-heading")
    missing = nl.missing[0]
    settle = (
        page.locator("section.missing-all li", has_text=fact_label(missing.fact))
        .locator("button")
        .first
    )
    settle.click()
    page.wait_for_selector("#patient-form")
    anchor = page.evaluate("location.hash")
    assert anchor.startswith("#s-")
    assert page.locator(anchor).is_visible()
    assert page.locator("#f-id").input_value() == record["id"]
    assert (
        page.evaluate(
            "document.activeElement.closest('section') && document.activeElement.closest('section').id"
        )
        == anchor[1:]
    )
    page.set_viewport_size({"width": 820, "height": 1100})
    shot(page, "09-form-tablet", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    # the answer shown was written to the audit trail once: its comparison, summary and
    # PDF re-display it from /results/{id} without new rows
    store = Store(server.database_url)
    try:
        # the recommendations (the access log shares the chain: sign-in, export of the PDF)
        entries = [e for e in store.list_audit(limit=None) if e.action == "evaluate"]
        assert store.verify_audit().ok
    finally:
        store.close()
    assert all(e.actor == USER for e in entries)
    # one row: the comparison, summary, PDF and options again are stable result URLs that
    # re-display the audited answer without writing a new row
    mine = [e for e in entries if e.input_digest == entries[0].input_digest]
    assert len(mine) == 1 and mine[0].source == "web"
    assert max(e.id for e in entries) == result_id  # no row for the later views


def test_errors_are_shown_next_to_their_field(
    server: Server, page: Any, example: dict[str, Any]
) -> None:
    record = first_relapse(example)
    record["treatments"][0]["end"] = "2023-01-01"  # before its start
    page.goto(server.url + "/")
    fill(page, record)
    page.get_by_role("button", name="Show options").click()
    page.wait_for_selector("section.problems")
    summary = page.locator("section.problems").inner_text()
    assert "Treatment courses, row 1: End" in summary  # named as on the form
    field = page.locator(f"#{field_id('treatments[0].end')}")
    assert field.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{field_id('treatments[0].end')}-err").inner_text()
    assert "before start" in message
    assert field.input_value() == "2023-01-01"  # the user's input is kept
    assert page.locator("#g-title").count() == 0  # nothing evaluated
    shot(page, "06-form-error")
    page.locator("section.problems a").first.click()
    assert page.evaluate("location.hash") == "#" + field_id("treatments[0].end")


def test_save_open_and_delete_a_patient(server: Server, page: Any, example: dict[str, Any]) -> None:
    """Save goes to the patient page (a stable URL); the list opens it; Show options
    answers for the saved patient; Edit patient opens the form; Delete removes it."""
    record = copy.deepcopy(example)
    record["id"] = "e2e-saved-patient"
    page.goto(server.url + "/")
    fill(page, record)
    page.get_by_role("button", name="Save patient").click()
    page.wait_for_selector("text=Patient saved.")
    assert page.locator("h1").inner_text() == "e2e-saved-patient"  # the patient's own page
    patient_url = page.url
    page.goto(server.url + "/patients")
    link = page.get_by_role("link", name="e2e-saved-patient")
    assert link.is_visible()
    shot(page, "07-saved-patients")
    link.click()
    page.get_by_role("button", name="Show options now").click()
    page.wait_for_selector("#g-title")
    assert page.locator("#patient-heading").inner_text().startswith("e2e-saved-patient")
    page.goto(patient_url)
    page.get_by_role("link", name="Edit patient").click()
    assert page.locator(f"#{field_id('treatments[1].regimen')}").input_value() == "lenalidomide"
    page.goto(patient_url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete patient").click()
    page.wait_for_selector("text=Patient deleted")
    assert page.get_by_role("link", name="e2e-saved-patient").count() == 0


def test_lab_units_follow_the_test_and_regimens_autocomplete(server: Server, page: Any) -> None:
    from mmpath.catalogue import load_catalogue
    from mmpath.record.units import accepted_units

    page.goto(server.url + "/")
    page.locator(f"#{field_id('labs[0].test')}").select_option("calcium")
    unit = page.locator(f"#{field_id('labs[0].unit')}")
    offered = unit.evaluate(
        "s => Array.from(s.options).filter(o => !o.disabled && o.value).map(o => o.value)"
    )
    assert offered == accepted_units("calcium")
    regimen = page.locator(f"#{field_id('treatments[0].regimen')}")
    listed = page.locator("#" + str(regimen.get_attribute("list")) + " option")
    values = set(listed.evaluate_all("os => os.map(o => o.value)"))
    dvd = load_catalogue().regimens["DVd"]
    assert {dvd.id, dvd.name, *dvd.aliases} <= values
    # keyboard only: Tab from the regimen box reaches the start date of the same row
    regimen.focus()
    page.keyboard.type("Dara-Vd")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == field_id("treatments[0].start")


def test_about_page(server: Server, page: Any) -> None:
    page.goto(server.url + "/about")
    assert page.get_by_role("heading", name="Validation status").is_visible()
    text = page.locator("main").inner_text()
    assert "nl-rrmm" in text
    assert re.search(r"\d+ of \d+ pass|not bundled", text)
    shot(page, "08-about")


def test_the_form_works_without_javascript(server: Server, browser: Any) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in_page(page, server)  # the sign-in form works without JavaScript too
        page.goto(server.url + "/")
        assert page.locator("[data-remove-row]").first.is_hidden()
        page.locator("#f-id").fill("no-js")
        page.get_by_role("button", name="Add lab results row").click()
        page.wait_for_selector(f"#{field_id('labs[1].date')}")
        assert page.locator("#f-id").input_value() == "no-js"
        page.locator(f"#{field_id('treatments[0].regimen')}").fill("VRd")
        page.locator(f"#{field_id('treatments[0].start')}").fill("2025-01-01")
        page.get_by_role("button", name="Show options").click()
        page.wait_for_selector("#g-title")
        assert page.locator("#patient-heading").inner_text().startswith("no-js")
    finally:
        context.close()
