"""Discover and load the guideline packs shipped in ``mmpath/packs/<id>/pack.yaml``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

import yaml
from pydantic import ValidationError

from mmpath.engine.pack import Pack
from mmpath.record.errors import path_of
from mmpath.yamlload import load_yaml


class PackError(ValueError):
    """A pack does not validate (a packaging defect, reported by `mmpath lint`)."""


class UnknownGuideline(LookupError):
    def __init__(self, guideline: str, known: list[str]) -> None:
        self.guideline = guideline
        self.known = known
        super().__init__(f"unknown guideline {guideline!r}; known: {', '.join(known)}")


def pack_folder(pack_id: str) -> Traversable:
    return resources.files("mmpath.packs").joinpath(pack_id)


def source_text(pack: Pack) -> str:
    """The source document shipped beside the pack (a copy of the seed file)."""
    return pack_folder(pack.id).joinpath(pack.source_document).read_text("utf-8")


def parse_pack(text: str, name: str) -> Pack:
    try:
        return Pack.model_validate(load_yaml(text))
    except ValidationError as error:
        lines = [f"{name}: {path_of(tuple(e['loc']))}: {e['msg']}" for e in error.errors()]
        raise PackError("\n".join(lines)) from None
    except yaml.YAMLError as error:
        raise PackError(f"{name}: not valid YAML: {error}") from None


@cache
def load_packs() -> dict[str, Pack]:
    """Every shipped pack by id, in id order."""
    packs = {}
    root = resources.files("mmpath.packs")
    for folder in sorted(root.iterdir(), key=lambda t: t.name):
        file = folder.joinpath("pack.yaml")
        if folder.is_dir() and file.is_file():
            pack = parse_pack(file.read_text("utf-8"), f"{folder.name}/pack.yaml")
            if pack.id != folder.name:
                raise PackError(f"{folder.name}/pack.yaml: id {pack.id!r} differs from its folder")
            packs[pack.id] = pack
    return packs


def select(guideline: str) -> list[Pack]:
    packs = load_packs()
    if guideline == "all":
        return list(packs.values())
    if guideline not in packs:
        raise UnknownGuideline(guideline, sorted(packs))
    return [packs[guideline]]
