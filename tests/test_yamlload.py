"""The libyaml fast path gives exactly what ``yaml.safe_load`` gives, errors included."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from mmpath.yamlload import load_yaml


def _shipped() -> list[str]:
    root = resources.files("mmpath")
    files = [f for f in root.joinpath("catalogue", "data").iterdir() if f.name.endswith(".yaml")]
    files += [
        d.joinpath(name)
        for d in root.joinpath("packs").iterdir()
        if d.is_dir()
        for name in ("pack.yaml", "library.yaml")
    ]
    return sorted(str(f) for f in files if f.is_file())


@pytest.mark.parametrize("path", _shipped())
def test_shipped_data_load_identically(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert load_yaml(text) == yaml.safe_load(text)


def test_yaml_11_scalars_resolve_as_with_safe_load() -> None:
    text = "a: yes\nb: 1_000\nc: 2026-11-01\nd: ~\ne: 0o17\nf: .inf\ng: '01'\n"
    assert load_yaml(text) == yaml.safe_load(text)


def test_errors_are_those_of_the_pure_python_parser() -> None:
    text = "rules:\n  - id: a\n   title: misaligned\n"
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as got:
        load_yaml(text)
    assert str(got.value) == str(expected.value)


def test_the_shipped_files_are_found() -> None:
    names = {path.rsplit("/", 2)[-1] for path in _shipped()}
    assert {"drugs.yaml", "regimens.yaml", "dose_notes.yaml", "pack.yaml"} <= names
