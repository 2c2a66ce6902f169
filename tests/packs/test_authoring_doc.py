"""docs/authoring.md stays true to the worked example it shows."""

from __future__ import annotations

import json
import re

from .conftest import EXAMPLE, ROOT

DOC = ROOT / "docs" / "authoring.md"
MARK = "<!-- from docs/examples/example-frail-relapse/pack.yaml -->"


def test_every_yaml_excerpt_is_in_the_example_pack() -> None:
    doc = DOC.read_text("utf-8")
    pack = (EXAMPLE / "pack.yaml").read_text("utf-8")
    excerpts = re.findall(re.escape(MARK) + r"\n```yaml\n(.*?)```", doc, re.S)
    assert len(excerpts) == doc.count(MARK) == 5
    for excerpt in excerpts:
        assert excerpt in pack, excerpt


def test_the_vignette_shown_is_the_examples() -> None:
    doc = DOC.read_text("utf-8")
    (shown,) = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", doc, re.S)]
    vignette = EXAMPLE / "vignettes" / "first-relapse-lenalidomide-refractory-heart-failure.json"
    actual = json.loads(vignette.read_text("utf-8"))
    assert {k: v for k, v in shown.items() if k != "record"} == {
        k: v for k, v in actual.items() if k != "record"
    }
    assert shown["record"].items() - {("...", "...")} <= actual["record"].items()
