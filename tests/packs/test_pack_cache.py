"""The compiled-pack cache: a pack loaded once comes back equal from the cache; any change
to the pack's text makes a new entry; a damaged entry or an unwritable folder falls back
to YAML; ``MMPATH_CACHE=off`` disables it; broken packs are never stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmpath.engine import pack_cache
from mmpath.engine.packs import PackError, pack_at, read_pack, registry


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(pack_cache.ENV_VAR, str(folder))
    return folder


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "packs").glob("*.pickle")) if (cache / "packs").is_dir() else []


def test_a_loaded_pack_comes_back_equal_from_the_cache(cache: Path, example_pack: Path) -> None:
    first, location = pack_at(example_pack)
    assert len(_entries(cache)) == 1
    text = (example_pack / "pack.yaml").read_text("utf-8")
    cached = pack_cache.load(text, registry().library_texts())
    assert cached is not None and cached is not first and cached == first
    assert read_pack(location) == first


def test_a_changed_pack_is_loaded_again_and_stored_anew(cache: Path, example_pack: Path) -> None:
    pack_at(example_pack)
    file = example_pack / "pack.yaml"
    file.write_text(file.read_text("utf-8").replace('version: "1.0.0"', 'version: "1.0.1"'))
    pack, _ = pack_at(example_pack)
    assert pack.version == "1.0.1" and len(_entries(cache)) == 2


def test_a_damaged_entry_falls_back_to_yaml(cache: Path, example_pack: Path) -> None:
    first, _ = pack_at(example_pack)
    (entry,) = _entries(cache)
    entry.write_bytes(b"not a pickle")
    again, _ = pack_at(example_pack)
    assert again == first


def test_a_broken_pack_is_never_stored(cache: Path, example_pack: Path) -> None:
    file = example_pack / "pack.yaml"
    file.write_text(file.read_text("utf-8").replace("regimen: Pd", "regimen: Pdd"))
    with pytest.raises(PackError):
        pack_at(example_pack)
    assert _entries(cache) == []


def test_off_disables_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example_pack: Path
) -> None:
    monkeypatch.setenv(pack_cache.ENV_VAR, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    pack_at(example_pack)
    assert pack_cache.folder() is None and not (tmp_path / "xdg").exists()


def test_an_unwritable_cache_folder_is_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example_pack: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv(pack_cache.ENV_VAR, str(blocker / "cache"))
    pack, _ = pack_at(example_pack)
    assert pack.id == example_pack.name


def test_a_compiled_program_is_kept_and_a_damaged_one_recompiled(cache: Path) -> None:
    """The generated condition program's bytecode is cached beside the packs; a damaged
    file is compiled again and the result is the same."""
    from mmpath.engine.codegen import compile_program
    from mmpath.engine.conditions import AnyOf, Compare, IsTrue, Not

    class Facts:
        def __init__(self, values: dict[str, object]) -> None:
            self.values = values

        def value(self, name: str) -> object:
            return self.values.get(name)

    conditions = [AnyOf((IsTrue("a"), Not(Compare("n", "lt", 2)))), IsTrue("b")]
    facts = Facts({"a": False, "n": 1})
    want = ((False, frozenset()), (None, frozenset({"b"})))
    assert compile_program(conditions, "test")(facts) == want
    (entry,) = (cache / "code").glob("*.marshal")
    assert compile_program(conditions, "test")(facts) == want  # from the cache
    entry.write_bytes(b"not bytecode")
    assert compile_program(conditions, "test")(facts) == want
    assert compile_program(conditions[:1], "test")(facts) == want[:1]
    assert len(list((cache / "code").glob("*.marshal"))) == 2


def test_a_library_comes_back_equal_from_the_cache_and_a_damaged_entry_is_parsed_again(
    cache: Path,
) -> None:
    from mmpath.assess import FACTS
    from mmpath.assess.defined import shipped_library_text
    from mmpath.engine.packs import parse_library

    text, name = shipped_library_text()
    kinds = {n: s.kind for n, s in FACTS.items() if s.library is None}
    first = parse_library(text, name, kinds)
    (entry,) = (cache / "libraries").glob("*.pickle")
    cached = pack_cache.load_library(text, kinds)
    assert cached is not None and cached is not first and cached == first
    assert pack_cache.load_library(text, {**kinds, "another_fact": "boolean"}) is None
    entry.write_bytes(b"not a pickle")
    assert pack_cache.load_library(text, kinds) is None
    assert parse_library(text, name, kinds) == first


def test_parsed_yaml_comes_back_equal_and_a_damaged_entry_is_parsed_again(cache: Path) -> None:
    from mmpath.yamlload import load_yaml, load_yaml_cached

    text = "a: [1, 2.5, text]\nb: 2026-11-30\n"
    assert load_yaml_cached(text) == load_yaml(text)
    (entry,) = (cache / "yaml").glob("*.pickle")
    assert load_yaml_cached(text) == load_yaml(text)
    entry.write_bytes(b"not a pickle")
    assert load_yaml_cached(text) == load_yaml(text)


def test_a_json_recommendation_served_from_the_caches_needs_no_yaml_parser(cache: Path) -> None:
    """What the caches are for: a short-lived process does not import PyYAML (nor parse
    YAML) once the packs, the library and the data files are cached."""
    import subprocess
    import sys

    example = Path(__file__).parents[2] / "bench" / "record_6_courses_20_labs.json"
    script = (
        "import sys, contextlib, io\n"
        "from mmpath.present.cli import main\n"
        f"sys.argv = ['mmpath', 'recommend', {str(example)!r}, '--guideline', 'nl-rrmm', '--json']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as end:\n"
        "        assert not end.code, end.code\n"
        "print('yaml' in sys.modules, 'mmpath.compare' in sys.modules)\n"
    )
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["False", "False"]
