"""`mmpath pack graph`: the decision structure as SVG and Mermaid, and a patient's path."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.pack_graph import Graph, build, to_mermaid, to_svg
from mmpath.engine.packs import get_pack, pack_from
from mmpath.present.cli import app
from mmpath.record.load import parse_record

from .conftest import EXAMPLE

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"


def _record(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLE / "vignettes" / name).read_text("utf-8"))["record"]
    data.update(changes)
    return data


def _traced(record: dict[str, Any]) -> Graph:
    pack, _ = pack_from(str(EXAMPLE))
    facts = Assessment(parse_record(record))
    result = PackEvaluator(pack, load_catalogue()).run(facts)
    return build(pack, facts, result, patient="test patient")


def _texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_every_shipped_pack_draws_as_valid_svg_and_mermaid() -> None:
    for pack_id in ("nl-rrmm", "dk-ndmm-te", "be-rrmm", "es-len-refractory", "jp-rrmm"):
        pack = get_pack(pack_id)
        graph = build(pack)
        svg = to_svg(graph)
        titles = [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}title")]
        assert [t.split(":")[0] for t in titles[: len(pack.rules)]] == [
            f"Rule {r.id}" for r in pack.rules
        ]
        mermaid = to_mermaid(graph)
        assert mermaid.startswith("flowchart LR\n")
        assert all(f"Rule {r.id}" in mermaid for r in pack.rules)
        assert to_svg(build(pack)) == svg  # deterministic


def test_structure_rules_conditions_options_with_tiers() -> None:
    pack, _ = pack_from(str(EXAMPLE))
    graph = build(pack)
    assert [r.id for r in graph.rows] == [
        "first-relapse-doublet",
        "later-relapse-trial",
        "no-rd-when-lenalidomide-refractory",
    ]
    assert [(c.key, c.tier) for c in graph.rows[0].options] == [
        ("Kd", "preferred"),
        ("Pd", "preferred"),
        ("Rd", "preferred"),
        ("Vd", "alternative"),
    ]
    assert [(line.depth, line.text) for line in graph.applicability] == [
        (0, "all of:"),
        (1, "relapsed"),
        (1, "frail"),
    ]
    assert graph.rows[2].effect.startswith("excludes Rd: not given when")


def test_a_patients_path_marks_conditions_and_option_outcomes() -> None:
    graph = _traced(_record("first-relapse-lenalidomide-refractory-heart-failure.json"))
    assert graph.applies is True and all(line.value is True for line in graph.applicability)
    doublet, trial, constraint = graph.rows
    assert doublet.value is True and trial.value is False and constraint.value is True
    states = {c.key: c.state for c in doublet.options}
    assert states == {
        "Kd": "recommended",
        "Pd": "recommended",
        "Rd": "excluded",
        "Vd": "recommended",
    }
    assert "refractory to lenalidomide" in doublet.options[2].note
    assert [c.state for c in trial.options] == ["not reached"]
    texts = _texts(to_svg(graph))
    assert "✓ prior_lines = 1" in texts and "✗ prior_lines ≥ 2" in texts
    mermaid = to_mermaid(graph)
    assert "class R1 yes" in mermaid and "class R2 no" in mermaid
    assert "class R1O3 excluded" in mermaid


def test_unknown_is_shown_as_unknown_and_options_as_conditional() -> None:
    record = _record("first-relapse-frail.json")
    del record["frailty"]  # age 82 alone: IMWG frailty score 2 is not yet certain
    record["age"] = 78
    graph = _traced(record)
    assert graph.applies is None
    assert [line.value for line in graph.applicability] == [None, True, None]
    assert {c.state for c in graph.rows[0].options} == {"conditional"}
    assert "if frail" in graph.rows[0].options[0].note
    assert "? frail" in _texts(to_svg(graph))


def test_cli_graph_formats_and_patient(tmp_path: Path) -> None:
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps(_record("second-relapse-trial.json", id="p-2")))
    result = runner.invoke(
        app, ["pack", "graph", str(EXAMPLE), "--format", "mermaid", "--patient", str(patient)]
    )
    assert result.exit_code == 0, result.output
    assert "✓ prior_lines ≥ 2" in result.stdout
    out = tmp_path / "g.svg"
    svg = runner.invoke(app, ["pack", "graph", "jp-rrmm", "-o", str(out)])
    assert svg.exit_code == 0, svg.output
    assert ET.parse(out).getroot().tag == f"{SVG}svg"
    bad = runner.invoke(app, ["pack", "graph", "jp-rrmm", "--format", "png"])
    assert bad.exit_code == 2
