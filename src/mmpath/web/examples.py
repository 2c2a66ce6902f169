"""Example patient records shipped with mmpath (``mmpath/examples``), openable in the form."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from mmpath.record.load import decode

SUFFIXES = (".json", ".yaml", ".yml")


@cache
def example_names() -> tuple[str, ...]:
    folder = resources.files("mmpath").joinpath("examples")
    return tuple(sorted(f.name for f in folder.iterdir() if f.name.endswith(SUFFIXES)))


def load_example(name: str) -> dict[str, Any] | None:
    """The decoded example record, or None for a name that is not a shipped example."""
    if name not in example_names():
        return None
    text = resources.files("mmpath").joinpath("examples", name).read_text("utf-8")
    data = decode(text, yaml_syntax=not name.endswith(".json"))
    return data if isinstance(data, dict) else None
