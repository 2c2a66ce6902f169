"""The cohort report opened in headless Chromium: every plot draws, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmpath.cohort.backend import ReferenceBackend
from mmpath.cohort.extract import check
from mmpath.cohort.report import render
from mmpath.cohort.synth.generate import synthesise

from .conftest import shot


def test_report_draws_every_plot_without_network(page: Any, tmp_path: Path) -> None:
    evaluation = ReferenceBackend().evaluate(check(synthesise(40, 8)), "all")
    report = tmp_path / "report.html"
    report.write_text(render(evaluation, source="synthetic", guideline="all", notes=[]), "utf-8")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri())
    page.wait_for_selector("#plot-sankey .main-svg", timeout=20_000)
    drawn = page.eval_on_selector_all(
        ".plotly-graph-div", "divs => divs.filter(d => d.querySelector('.main-svg')).length"
    )
    assert drawn == 6
    assert page.locator("#plot-sankey .sankey-node").count() > 4
    assert page.locator("#plot-guideline .bars path").count() > 4
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert errors == []
    shot(page, "cohort-report")
