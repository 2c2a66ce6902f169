"""The server's heap after start-up (mmpath.api.heap): warmed, frozen, no cycles per request."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mmpath.record.load import parse_record
from mmpath.service import comparisons, recommend

EXAMPLES = sorted(
    (Path(__file__).resolve().parents[2] / "src" / "mmpath" / "examples").glob("*.json")
)


def test_settle_freezes_the_warmed_heap_in_a_fresh_process() -> None:
    # in a child process: freezing the test process's heap would keep earlier tests' objects
    code = (
        "import gc; from mmpath.api.heap import settle, YOUNG_THRESHOLD; settle(); "
        "from mmpath.engine.packs import load_packs; "
        "print(gc.get_freeze_count(), gc.get_threshold()[0] == YOUNG_THRESHOLD, "
        "len(load_packs()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    frozen, threshold_set, packs = done.stdout.split()
    assert int(frozen) > 10_000  # the packs, their programs, the models and the catalogue
    assert threshold_set == "True"
    assert int(packs) >= 5


def test_create_served_app_settles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[str] = []
    monkeypatch.setenv("MMPATH_DATABASE_URL", f"sqlite:///{tmp_path / 'a.sqlite3'}")
    monkeypatch.setattr("mmpath.api.heap.settle", lambda: calls.append("settled"))
    from mmpath.api.app import create_served_app

    app = create_served_app()
    app.state.store.close()
    assert calls == ["settled"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_an_evaluation_leaves_no_reference_cycles(example: Path) -> None:
    """Every object of a recommendation is freed by reference counting: nothing is left for
    the cyclic collector (which the frozen heap makes cheap, not free)."""
    record = parse_record(json.loads(example.read_text("utf-8")))
    comparisons.clear()
    recommend(record, "all")  # caches filled once, as in a running server
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            recommend(record, "all")
        gc.collect()
        left = [type(o).__qualname__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
