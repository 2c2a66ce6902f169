"""The decision summary (recommendation 1.1 ``summary``): once per record, at the top of the
CLI text, the JSON, the web result page, the print summary and the PDF."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mmpath.decision_summary import ORDER
from mmpath.present.cli import app
from mmpath.record.load import load_record, parse_record
from mmpath.service import recommend
from mmpath.web.summary import render_pdf, summarise
from records import course, days, lab, progression, record_dict
from signin import signed_in_client

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first-relapse-on-lenalidomide.json"
START = dt.date(2022, 1, 10)


def summary(**fields: Any) -> dict[str, Any]:
    out = recommend(parse_record(record_dict(**fields)), "nl-rrmm")
    return {k: v.value for k, v in out.summary.items()}


def test_every_item_is_present_in_order_once_per_record() -> None:
    out = recommend(load_record(EXAMPLE), "all")
    assert list(out.summary) == list(ORDER)
    data = json.loads(out.model_dump_json())
    assert data["summary"]["prior_lines"]["value"] == 1
    assert data["summary"]["current_line"]["value"] == 2
    assert data["summary"]["relapse_type"]["value"] == "clinical"
    assert data["summary"]["refractory"]["value"] == ["lenalidomide", "imid"]
    assert "line 1 from 2024-01-08" in data["summary"]["prior_lines"]["why"]
    # not per pack
    assert all("summary" not in r for r in data["results"])


def test_responding_on_the_second_line() -> None:
    p = START + days(400)
    found = summary(
        treatments=[
            course("VRd", START, START + days(180), best_response="VGPR"),
            course("DKd", p + days(10)),
        ],
        progressions=[progression(p)],
    )
    assert (found["prior_lines"], found["current_line"]) == (1, 2)
    # progression 220 days after VRd ended: not refractory (IMWG 60 days)
    assert found["refractory"] == []
    assert found["refractory_unknown"] == [
        "carfilzomib",
        "daratumumab",
        "proteasome_inhibitor",
        "anti_cd38",
    ]
    assert found["exposed"][-3:] == ["proteasome_inhibitor", "imid", "anti_cd38"]


def test_kidney_risk_transplant_and_frailty() -> None:
    found = summary(
        comorbidities=["dialysis"],
        ecog=2,
        diagnosis={"plasma_cell_leukemia": True},
        treatments=[],
    )
    assert found["creatinine_clearance"] == "dialysis"
    assert found["risk"] == "high"
    assert found["frail"] is True
    assert found["transplant_eligible"] is None
    # a diagnosis date only (a record with nothing at all is refused as near-empty)
    only_diagnosed = record_dict(age=75, ecog=2, comorbidities=[], diagnosis={"date": "2024-01-01"})
    out = recommend(parse_record(only_diagnosed), "nl-rrmm")
    why = out.summary["transplant_eligible"].why
    assert "clinician's judgement" in why and "DMSG rule" in why and "would give no" in why
    assert "simplified" in out.summary["frail"].why or "IMWG" in out.summary["frail"].why


def test_unknown_history_is_unknown_not_none() -> None:
    found = summary(diagnosis={"date": "2024-01-01"})  # history not given: unknown
    for key in ("prior_lines", "current_line", "refractory", "exposed", "refractory_unknown"):
        assert found[key] is None, key


def test_a_lab_progression_the_record_lacks_is_a_warning_in_the_summary() -> None:
    labs = [
        lab(START + days(30 * i), "serum_m_protein", v, "g/dL")
        for i, v in enumerate([3.0, 1.0, 1.0, 1.6, 1.7])
    ]
    out = recommend(
        parse_record(record_dict(treatments=[course("Rd", START)], labs=labs, progressions=[])),
        "nl-rrmm",
    )
    assert out.summary["prior_lines"].warnings
    assert "do not list" in out.summary["prior_lines"].warnings[0]


def test_cli_text_shows_the_summary_first() -> None:
    result = CliRunner().invoke(
        app, ["recommend", str(EXAMPLE), "--guideline", "nl-rrmm", "--full"]
    )
    assert result.exit_code == 0
    text = result.stdout
    assert text.index("Decision summary") < text.index("nl-rrmm")
    assert "current line" in text and "Lines of therapy: line 1" in text


def test_print_summary_and_pdf_carry_the_summary() -> None:
    record = load_record(EXAMPLE)
    out = recommend(record, "all")
    content = summarise(record, out)
    assert ("Prior lines", "1") in content.decision
    assert ("Refractory to", "lenalidomide, IMiD") in content.decision  # codes in words
    assert content.lines.startswith("line 1 from 2024-01-08")
    assert render_pdf(content).startswith(b"%PDF-")


def test_cli_facts_shows_the_derived_lines() -> None:
    result = CliRunner().invoke(app, ["facts", str(EXAMPLE)])
    assert result.exit_code == 0
    assert "Lines of therapy" in result.stdout
    # the same table on a wide console: each course says which line it continues and why
    from rich.console import Console

    from mmpath.assess import Assessment
    from mmpath.present.text import render_lines

    console = Console(width=400, record=True)
    render_lines(console, Assessment(load_record(EXAMPLE)).lines)
    text = console.export_text()
    assert "continues line 1: after the ASCT of 2024-06-10" in text
    assert "first treatment recorded" in text


def test_web_result_and_print_pages_show_the_summary(tmp_path: Path) -> None:

    from mmpath.store import Store

    store = Store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    try:
        client = signed_in_client(store, "clinician", raise_server_exceptions=True)
        posted = {"record": EXAMPLE.read_text("utf-8")}
        for path in ("/evaluate", "/summary", "/compare"):
            page = client.post(path, data=posted).text
            assert 'class="decision-summary"' in page, path
            assert "Prior lines" in page and "Refractory to" in page, path
            assert page.index("decision-summary") < page.index(
                "<h2", page.index("decision-summary") + 40
            )
    finally:
        store.close()


def _new_dk(**fields: Any) -> dict[str, Any]:
    base = {
        "age": 60,
        "ecog": 0,
        "comorbidities": [],
        "diagnosis": {"date": "2026-01-05", "isotype": "IgG kappa"},
        "treatments": [],
        "procedures": [],
        "progressions": [],
        "labs": [
            {"date": "2026-01-05", "test": "beta2_microglobulin", "value": 3.0, "unit": "mg/L"},
            {"date": "2026-01-05", "test": "creatinine", "value": 80, "unit": "µmol/L"},
            {"date": "2026-01-05", "test": "circulating_plasma_cells", "value": 0, "unit": "%"},
        ],
        "cytogenetics": {
            "method": "FISH",
            "del_17p": True,
            "del_17p_fraction": 0.20,
            "t_4_14": False,
            "t_14_16": False,
            "t_14_20": False,
            "gain_1q": False,
            "amp_1q": False,
            "del_1p": False,
            "del_1p_biallelic": False,
            "tp53_mutation": False,
        },
        "extramedullary": "none",
    }
    base.update(fields)
    return record_dict(**base)


def test_a_pack_that_decides_risk_by_its_own_reading_shows_it_in_the_summary() -> None:
    # del(17p) in exactly 20 %: IMS/IMWG 2025 "> 20 %" says standard, the Danish seed's
    # "≥ 20 %" says high; the dk branches use the seed, so must the summary (issue 9)
    record = parse_record(_new_dk())
    dk = recommend(record, "dk-ndmm-te")
    assert dk.summary["risk"].value == "high"
    why = dk.summary["risk"].why
    assert "dk-ndmm-te" in why and "high_risk_dk" in why and "standard" in why
    assert dk.summary["transplant_eligible"].value is True
    assert recommend(record, "nl-rrmm").summary["risk"].value == "standard"


def test_with_all_guidelines_the_only_applying_reader_decides() -> None:
    record = parse_record(_new_dk())
    out = recommend(record, "all")
    assert [r.guideline.id for r in out.results if r.applicable is not False] == ["dk-ndmm-te"]
    assert out.summary["risk"].value == "high"


def test_a_reader_that_does_not_apply_leaves_the_general_value() -> None:
    # ECOG 2: the Danish rule says not eligible, so dk-ndmm-te does not apply; in an
    # all-guidelines run the general summary stays (the clinician's judgement: unknown)
    out = recommend(parse_record(_new_dk(ecog=2)), "all")
    assert out.summary["transplant_eligible"].value is None
    single = recommend(parse_record(_new_dk(ecog=2)), "dk-ndmm-te")
    assert single.summary["transplant_eligible"].value is False


def test_a_guideline_with_its_own_risk_and_eligibility_is_followed_in_its_output() -> None:
    """dk-ndmm-te reads high risk with the DMSG additions and its own eligibility rule: the
    summary of a dk-ndmm-te output shows the branch it took (class: summary 'standard' /
    'unknown' while the pathway ran the high-risk / ineligible branch)."""
    negative = {
        k: False for k in ("del_17p", "t_4_14", "t_14_16", "t_14_20", "gain_1q", "amp_1q", "del_1p")
    }
    fields = {
        "birth_date": "1966-01-01",
        "ecog": 2,
        "comorbidities": [],
        "extramedullary": "extraosseous",
        "cytogenetics": {**negative, "tp53_mutation": False},
        "labs": [lab(dt.date(2026, 10, 1), "beta2_microglobulin", 2.9, "mg/L")],
        "treatments": [],
        "progressions": [],
        "region": "DK",
    }
    record = parse_record(record_dict(**fields))
    dk = recommend(record, "dk-ndmm-te").summary
    assert dk["risk"].value == "high" and "high_risk_dk" in dk["risk"].why
    assert any("differs from the general" in w for w in dk["risk"].warnings)
    assert dk["transplant_eligible"].value is False
    nl = recommend(record, "nl-rrmm").summary
    assert nl["risk"].value == "standard" and nl["transplant_eligible"].value is None
    both = recommend(record, "all").summary
    assert both["risk"].value == "standard" and "dk-ndmm-te reads its own" in both["risk"].why


def test_a_guideline_reading_is_worded_for_the_clinician_not_as_python_values() -> None:
    """The summary texts that set a guideline's own reading beside the general one say
    'unknown' / 'yes' / 'no', never None / True / False (the general IMS/IMWG reading of a
    patient whose TP53 was not tested is unknown; the DMSG eligibility rule says yes)."""
    negative = ("del_17p", "t_4_14", "t_14_16", "t_14_20", "gain_1q", "amp_1q", "del_1p")
    record = _new_dk(cytogenetics={"method": "FISH", **dict.fromkeys(negative, False)})
    summary = recommend(parse_record(record), "dk-ndmm-te").summary
    texts = [item.why for item in summary.values()] + [
        w for item in summary.values() for w in item.warnings
    ]
    assert summary["risk"].value is None
    assert "In general (shown for other guidelines): unknown" in summary["risk"].why
    assert "TP53 not tested" in summary["risk"].why
    python_words = ("None", "True", "False")
    assert not [t for t in texts if any(f"({v})" in t or f": {v} " in t for v in python_words)]


def test_asserted_refractoriness_is_listed_without_a_treatment_history() -> None:
    # review r81-12: a referral without the history, the clinician asserts lenalidomide
    # refractoriness; the summary said only "treatment history not recorded"
    record = {
        "schema_version": "1",
        "as_of": "2026-11-01",
        "status": "relapsed",
        "asserted": {"lenalidomide_refractory": True},
    }
    summary = recommend(parse_record(record), "es-len-refractory").summary
    refractory = summary["refractory"]
    assert refractory.value == ["lenalidomide", "imid"]
    assert refractory.why.startswith("treatment history not recorded; asserted by the clinician")
    assert summary["exposed"].value is None  # exposure stays unknown
    without = dict(record, asserted=None)
    assert recommend(parse_record(without), "es-len-refractory").summary["refractory"].value is None
