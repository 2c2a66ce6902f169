"""mCODE's own example patients, and ``mmpath import fhir`` on the first-relapse example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from fhir_import.helpers import reasons
from mmpath.fhir import import_bundle
from mmpath.present.cli import app
from mmpath.record.load import load_record, parse_record
from mmpath.service import recommend

DATA = Path(__file__).parent / "data"
EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "mmpath"
    / "examples"
    / "first-relapse-on-lenalidomide.json"
)


def options(record: Any) -> list[Any]:
    out = recommend(record, "all")
    return [
        (
            r.guideline.id,
            r.applicable,
            sorted((o.id, o.tier, o.status) for o in r.options),
            sorted(e.id for e in r.excluded),
            sorted(m.fact for m in r.missing),
        )
        for r in out.results
    ]


def test_jenny_m_breast_cancer_is_not_read_as_myeloma() -> None:
    raw = (DATA / "mcode-jenny-m.bundle.json").read_text("utf-8")
    result = import_bundle(raw)
    assert result.record is not None
    report = result.report.as_json()
    assert "diagnosis" not in result.record and "treatments" not in result.record
    assert result.record["ecog"] == 0
    assert result.record["weight_kg"] == 70.31 and result.record["height_cm"] == 165.1
    why = reasons(report)
    # chemotherapy given for the breast cancer: not a myeloma treatment
    for drug in ("doxorubicin", "cyclophosphamide", "paclitaxel"):
        assert (
            why[f"MedicationRequest/cancer-related-medication-request-{drug}-jenny-m"]
            == "out_of_scope"
        )
    assert why["Condition/primary-cancer-condition-jenny-m"] == "unknown_code"
    assert why["Observation/genomic-variant-jenny-m"] == "unknown_code"  # PALB2
    assert why["Procedure/cancer-related-surgical-procedure-jenny-m"] == "unknown_code"
    entries = json.loads(raw)["entry"]
    used = {u["resource"] for u in report["used"]}
    assert used | set(why) == {
        f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries
    }


def test_mcode_myeloma_stage_examples() -> None:
    result = import_bundle((DATA / "mcode-myeloma-staging.bundle.json").read_text("utf-8"))
    assert result.record is not None
    assert result.record["diagnosis"] == {"date": "2024-02-01", "iss": 2, "r_iss": 2}


def test_cli_import_of_the_first_relapse_bundle_gives_the_example_recommendation(
    tmp_path: Path,
) -> None:
    out = tmp_path / "record.json"
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "import",
            "fhir",
            str(DATA / "first-relapse-on-lenalidomide.bundle.json"),
            "--as-of",
            "2026-11-01",
            "--region",
            "NL",
            "-o",
            str(out),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    imported = load_record(out)
    assert options(imported) == options(load_record(EXAMPLE))
    written = json.loads(report.read_text("utf-8"))
    assert written["unused"] == []
    # the best responses come from mmpath's best-response Observations (docs/fhir.md)
    responses = [u for u in written["used"] if "best_response" in u["as"]]
    assert [u["as"] for u in responses] == ["best_response", "best_response_after"]


def test_cli_import_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "type": "history"}', "utf-8")
    result = CliRunner().invoke(app, ["import", "fhir", str(bad)])
    assert result.exit_code == 2
    assert "Bundle.type 'history'" in result.output


def test_cli_ndjson_writes_one_line_per_patient(tmp_path: Path) -> None:
    source = tmp_path / "many.ndjson"
    lines = [{"resourceType": "Patient", "id": f"p{i}", "gender": "male"} for i in range(3)]
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n", "utf-8")
    result = CliRunner().invoke(app, ["import", "fhir", str(source), "--quiet"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["record"]["id"] for r in rows] == ["p0", "p1", "p2"]
    parse_record(rows[0]["record"])
