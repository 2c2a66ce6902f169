"""Find guideline packs wherever they are installed, and load them checked.

A pack is a folder holding ``pack.yaml`` and its source document (docs/pack-format.md).
Packs are found, in this order (the first pack of an id wins; later ones are *shadowed*
and listed by ``mmpath packs``):

1. folders given with ``mmpath --packs DIR`` (``use_folders``);
2. the folders in the environment variable ``MMPATH_PACKS`` (separated by ``os.pathsep``);
3. Python packages named by entry points in the group ``mmpath.packs`` — this is how a
   hospital ships its protocol as a pip package, and how mmpath ships its own five packs
   (``mmpath = "mmpath.packs"`` in pyproject.toml).

A folder on the search path, or an entry point's package folder, is either one pack (it
holds ``pack.yaml``) or a folder of packs (each subfolder holding ``pack.yaml``). A pack's
id equals its folder name. Two installed packages offering the same id is an error (which
one to use is ambiguous) unless the search path names the one to use.

Loading a pack validates it (``engine.pack``) and resolves every name it takes from
outside (``engine.resolve``); any problem refuses the pack with ``file:line`` messages.
Packs are loaded when first asked for and kept for the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import ValidationError

from mmpath.engine.conditions import ConditionError, Loc
from mmpath.engine.definitions import (
    LIBRARY_FILE,
    Definition,
    Library,
    cycles,
    definition_problems,
    safety_problems,
)
from mmpath.engine.pack import Pack, PackProblems
from mmpath.record.errors import path_of
from mmpath.yamlload import load_yaml

ENV_VAR = "MMPATH_PACKS"
ENTRY_POINT_GROUP = "mmpath.packs"
PACK_FILE = "pack.yaml"


class PackError(Exception):
    """A pack cannot be used: every problem as ``file:line: path: message``.

    Not a ``ValueError``: a broken pack is a configuration defect, never a problem with
    the patient record being validated when it surfaces.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class UnknownGuideline(LookupError):
    def __init__(self, guideline: str, known: list[str]) -> None:
        self.guideline = guideline
        self.known = known
        super().__init__(f"unknown guideline {guideline!r}; known: {', '.join(known)}")


@dataclass(frozen=True)
class PackLocation:
    """Where one pack was found."""

    id: str
    folder: Traversable
    origin: str
    """how it was found: ``--packs``, ``MMPATH_PACKS`` or ``entry point NAME (package)``"""

    @property
    def file(self) -> str:
        return str(self.folder.joinpath(PACK_FILE))

    @property
    def kind(self) -> str:
        """Where from, without file system paths (for pages others read)."""
        if self.origin.startswith("entry point"):
            return f"installed package ({self.origin})"
        return "local folder on the pack search path"


# -- reading and checking one pack ----------------------------------------------------------


def _message(item: dict[str, object]) -> tuple[Loc, str]:
    loc: Loc = tuple(item["loc"])  # type: ignore[arg-type]
    cause = (item.get("ctx") or {}).get("error")  # type: ignore[attr-defined]
    if isinstance(cause, ConditionError):
        return (*loc, *cause.loc), str(cause).split(": ", 1)[-1]
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        message = "unknown key (see mmpath schema pack)"
    elif item["type"] == "missing":
        message = "required key is missing"
    return loc, message


def _problems(error: ValidationError) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    for item in error.errors(include_url=False):
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, PackProblems):
            prefix: Loc = tuple(item["loc"])
            found += [((*prefix, *loc), message) for loc, message in cause.problems]
        else:
            found.append(_message(dict(item)))
    return found


def _located(name: str, text: str, problems: list[tuple[Loc, str]]) -> list[str]:
    from mmpath.engine.yaml_lines import Lines  # positions only when there are problems

    lines = Lines(text)
    located = sorted(
        ((lines.line(loc) or 0, n, loc, message) for n, (loc, message) in enumerate(problems)),
    )
    out = []
    for line, _, loc, message in located:
        where = f"{name}:{line}" if line else name
        out.append(f"{where}: {path_of(loc)}: {message}" if loc else f"{where}: {message}")
    return out


def parse_pack(text: str, name: str) -> Pack:
    """A pack from its YAML text, validated and with every outside name resolved.

    ``name`` is the file name used in messages. Raises :class:`PackError`.
    """
    from mmpath.catalogue import load_catalogue
    from mmpath.engine.resolve import unresolved

    data = _yaml(text, name)
    try:
        pack = Pack.model_validate(data)
    except ValidationError as error:
        raise PackError(_located(name, text, _problems(error))) from None
    kinds, scope, problems = _imports(pack)
    problems += [
        (("defines", n), f"{n!r} is already a fact or an imported definition; rename it")
        for n in pack.defines
        if n in kinds
    ]
    kinds = {**kinds, **dict.fromkeys(pack.defines, "boolean")}
    problems += cycles(pack.defines, ("defines",))
    problems += unresolved(pack, kinds, load_catalogue())
    if problems:
        raise PackError(_located(name, text, problems))
    if scope:
        pack._scope = {**scope, **pack.defines}
    return pack


def _imports(pack: Pack) -> tuple[dict[str, str], dict[str, Definition], list[tuple[Loc, str]]]:
    """The names the pack may read (facts, and definitions of the libraries it imports)
    with their kinds; the imported definitions that are not registered facts (the pack
    evaluates them itself); and problems with its ``imports``."""
    from mmpath.assess import FACTS

    imported: set[str] = set()
    scope: dict[str, Definition] = {}
    problems: list[tuple[Loc, str]] = []
    for i, ref in enumerate(pack.imports):
        library_id, version = ref.split("@")
        found = registry().library(library_id)
        if found is None:
            known = ", ".join(registry().library_ids()) or "none"
            problems.append((("imports", i), f"unknown library {library_id!r}; installed: {known}"))
        elif found.version != int(version):
            problems.append(
                (
                    ("imports", i),
                    f"imports {ref} but the installed {library_id} is version {found.version}",
                )
            )
        else:
            imported.add(library_id)
            scope.update(
                (n, d)
                for n, d in found.defines.items()
                if n not in FACTS or FACTS[n].library != library_id
            )
    kinds = {n: s.kind for n, s in FACTS.items() if s.library is None or s.library in imported}
    kinds.update(dict.fromkeys(scope, "boolean"))
    return kinds, scope, problems


def parse_library(text: str, name: str, kinds: Mapping[str, str]) -> Library:
    """A library of definitions from its YAML text, validated, its names resolved against
    ``kinds`` (the facts it may read, with their kinds) and its own definitions.

    Raises :class:`PackError` with ``file:line`` messages. A library that loaded without
    problems is kept in the compiled-pack cache (``engine.pack_cache``)."""
    from mmpath.engine import pack_cache

    cached = pack_cache.load_library(text, kinds)
    if cached is not None:
        return cached
    data = _yaml(text, name)
    try:
        library = Library.model_validate(data)
    except ValidationError as error:
        raise PackError(_located(name, text, _problems(error))) from None
    readable = {**kinds, **dict.fromkeys(library.defines, "boolean")}
    problems = definition_problems(library.defines, ("defines",), readable, library.quotes)
    problems += safety_problems(library, required=False)
    problems += [
        (("defines", n), f"{n!r} is already a fact; give the definition another name")
        for n in library.defines
        if n in kinds
    ]
    if problems:
        raise PackError(_located(name, text, problems))
    pack_cache.store_library(text, kinds, library)
    return library


def _yaml(text: str, name: str) -> dict[str, object]:
    import yaml  # imported here: a process whose packs all come from the cache never needs it

    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(error, "problem", None) or str(error)
        raise PackError([f"{where}: not valid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise PackError([f"{name}:1: expected a mapping of keys (see mmpath schema pack)"])
    return data


def read_pack(location: PackLocation) -> Pack:
    """Load the pack at ``location``; its id must equal its folder name."""
    try:
        text = location.folder.joinpath(PACK_FILE).read_text("utf-8")
    except OSError as error:
        raise PackError([f"{location.file}: cannot read: {error.strerror or error}"]) from None
    from mmpath.engine import pack_cache

    libraries = registry().library_texts()
    pack = pack_cache.load(text, libraries)
    if pack is None:
        pack = parse_pack(text, location.file)
        if pack.id == location.id:
            pack_cache.store(text, libraries, pack)
    if pack.id != location.id:
        from mmpath.engine.yaml_lines import Lines

        line = Lines(text).line(("id",))
        raise PackError(
            [f"{location.file}:{line}: id: {pack.id!r} differs from its folder {location.id!r}"]
        )
    return pack


def pack_at(folder: Path, origin: str = "folder") -> tuple[Pack, PackLocation]:
    """The pack in ``folder`` (which holds pack.yaml), whether installed or not."""
    if not folder.joinpath(PACK_FILE).is_file():
        raise PackError([f"{folder}: no {PACK_FILE} here (is this a pack folder?)"])
    location = PackLocation(folder.resolve().name, folder.resolve(), origin)
    return read_pack(location), location


def pack_from(reference: str) -> tuple[Pack, Path | None]:
    """A pack named on the command line: a pack folder, a pack YAML file (e.g. an older
    version taken out of version control), or the id of an installed pack. Returns the
    pack and its folder (None for a bare file)."""
    path = Path(reference)
    if path.is_dir():
        file = path / PACK_FILE
        if not file.is_file():
            raise PackError([f"{path}: no {PACK_FILE} here (is this a pack folder?)"])
        return parse_pack(file.read_text("utf-8"), str(file)), path.resolve()
    if path.is_file():
        return parse_pack(path.read_text("utf-8"), str(path)), None
    location = registry().location(reference)
    return registry().pack(reference), Path(str(location.folder))


# -- finding packs ----------------------------------------------------------------------------


def _packs_in(root: Traversable) -> list[Traversable]:
    if root.joinpath(PACK_FILE).is_file():
        return [root]
    return sorted(
        (f for f in root.iterdir() if f.is_dir() and f.joinpath(PACK_FILE).is_file()),
        key=lambda f: f.name,
    )


def _libraries_in(root: Traversable) -> list[Traversable]:
    if root.joinpath(LIBRARY_FILE).is_file():
        return [root]
    return sorted(
        (f for f in root.iterdir() if f.is_dir() and f.joinpath(LIBRARY_FILE).is_file()),
        key=lambda f: f.name,
    )


def _entry_point_roots() -> Iterable[tuple[str, Traversable]]:
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
        origin = f"entry point {ep.name} ({ep.value})"
        if ":" in ep.value:
            raise PackError(
                [f"{origin}: name a package whose folder holds packs, not {ep.value!r}"]
            )
        try:
            yield origin, resources.files(ep.value)
        except ModuleNotFoundError as error:
            raise PackError([f"{origin}: cannot import {ep.value!r}: {error}"]) from None


def _same(a: Traversable, b: Traversable) -> bool:
    if isinstance(a, Path) and isinstance(b, Path):
        return a.resolve() == b.resolve()
    return str(a) == str(b)


@dataclass
class Registry:
    """The packs found on the search path and through entry points, loaded on demand."""

    locations: dict[str, PackLocation]
    shadowed: list[PackLocation] = field(default_factory=list)
    library_folders: dict[str, Traversable] = field(default_factory=dict)
    """libraries of definitions (``library.yaml``) by id: the first found wins"""
    _libraries: dict[str, Library] = field(default_factory=dict, repr=False)
    _library_texts: list[bytes] | None = field(default=None, repr=False)
    _loaded: dict[str, Pack] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def discover(cls, folders: Sequence[Path], env: str | None) -> Registry:
        roots: list[tuple[str, Traversable]] = []
        problems = []
        searched = [(f"--packs {p}", p) for p in folders]
        searched += [(f"{ENV_VAR} {p}", Path(p)) for p in (env or "").split(os.pathsep) if p]
        for origin, path in searched:
            if path.is_dir():
                roots.append((origin, path.resolve()))
            else:
                problems.append(f"{origin}: not a folder")
        if problems:
            raise PackError(problems)
        roots += list(_entry_point_roots())
        locations: dict[str, PackLocation] = {}
        shadowed: list[PackLocation] = []
        libraries: dict[str, Traversable] = {}
        for origin, root in roots:
            for folder in _libraries_in(root):
                libraries.setdefault(folder.name, folder)
            for folder in _packs_in(root):
                here = PackLocation(folder.name, folder, origin)
                first = locations.get(here.id)
                if first is None:
                    locations[here.id] = here
                elif _same(first.folder, here.folder):
                    continue
                elif first.origin.startswith("entry point") and origin.startswith("entry point"):
                    problems.append(
                        f"pack {here.id!r} is installed twice: {first.file} ({first.origin}) and "
                        f"{here.file} ({here.origin}); uninstall one, or put the one to use on "
                        f"{ENV_VAR}"
                    )
                else:
                    shadowed.append(here)
        if problems:
            raise PackError(problems)
        return cls(dict(sorted(locations.items())), shadowed, dict(sorted(libraries.items())))

    def library_texts(self) -> list[bytes]:
        """The text of every library found, in id order (the pack cache's key covers them)."""
        found = self._library_texts
        if found is None:
            found = self._library_texts = [
                folder.joinpath(LIBRARY_FILE).read_bytes()
                for folder in self.library_folders.values()
            ]
        return found

    def library_ids(self) -> list[str]:
        return list(self.library_folders)

    def library(self, library_id: str) -> Library | None:
        """A library of definitions, loaded and checked on first use (None: not found)."""
        found = self._libraries.get(library_id)
        if found is None:
            folder = self.library_folders.get(library_id)
            if folder is None:
                return None
            from mmpath.assess import FACTS

            file = folder.joinpath(LIBRARY_FILE)
            kinds = {n: s.kind for n, s in FACTS.items() if s.library is None}
            found = parse_library(file.read_text("utf-8"), str(file), kinds)
            if found.id != library_id:
                raise PackError([f"{file}: id {found.id!r} differs from its folder"])
            self._libraries[library_id] = found
        return found

    def ids(self) -> list[str]:
        return list(self.locations)

    def location(self, pack_id: str) -> PackLocation:
        if pack_id not in self.locations:
            raise UnknownGuideline(pack_id, self.ids())
        return self.locations[pack_id]

    def pack(self, pack_id: str) -> Pack:
        """One pack, loaded and checked on first use. Raises UnknownGuideline, PackError."""
        found = self._loaded.get(pack_id)
        if found is None:
            location = self.location(pack_id)
            with self._lock:
                found = self._loaded.get(pack_id)
                if found is None:
                    found = self._loaded[pack_id] = read_pack(location)
        return found

    def packs(self) -> dict[str, Pack]:
        """Every pack, by id in id order; PackError lists the problems of all broken ones."""
        found: dict[str, Pack] = {}
        problems: list[str] = []
        for pack_id in self.locations:
            try:
                found[pack_id] = self.pack(pack_id)
            except PackError as error:
                problems += error.problems
        if problems:
            raise PackError(problems)
        return found


_folders: tuple[Path, ...] = ()
_current: Registry | None = None
_current_lock = threading.Lock()


def use_folders(folders: Sequence[Path]) -> None:
    """Search ``folders`` first (``mmpath --packs``); forgets packs found before."""
    global _folders, _current
    with _current_lock:
        _folders = tuple(folders)
        _current = None


def search_folders() -> tuple[Path, ...]:
    """The folders given to :func:`use_folders`."""
    return _folders


def reset() -> None:
    """Find packs again (after ``MMPATH_PACKS`` or the installed packages changed)."""
    global _current
    with _current_lock:
        _current = None


def registry() -> Registry:
    """The packs of this process: found once, from the search path and entry points."""
    global _current
    current = _current
    if current is None:
        with _current_lock:
            if _current is None:
                _current = Registry.discover(_folders, os.environ.get(ENV_VAR))
            current = _current
    return current


def load_packs() -> dict[str, Pack]:
    """Every installed pack by id, in id order (PackError when any is broken)."""
    return registry().packs()


def get_pack(pack_id: str) -> Pack:
    """One installed pack (UnknownGuideline, PackError)."""
    return registry().pack(pack_id)


def known_regions() -> frozenset[str]:
    """The regions the installed packs declare (a patient record's region is one of them)."""
    return frozenset(r for pack in load_packs().values() for r in pack.regions)


def pack_folder(pack_id: str) -> Traversable:
    return registry().location(pack_id).folder


def source_text(pack: Pack) -> str:
    """The source document shipped beside the pack (a copy of the seed file)."""
    return pack_folder(pack.id).joinpath(pack.source_document).read_text("utf-8")


def select(guideline: str) -> list[Pack]:
    """The packs to evaluate for ``guideline``: one id, or ``all``."""
    if guideline == "all":
        return list(load_packs().values())
    return [get_pack(guideline)]
