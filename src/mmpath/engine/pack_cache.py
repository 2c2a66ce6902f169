"""The compiled-pack cache: a pack checked once is not parsed again in the next process.

Loading a pack means parsing its YAML, validating it and resolving every name in it
(``engine.packs``): tens of milliseconds per pack, paid by every short-lived process
(``mmpath recommend``). A pack that loaded without problems is stored here, pickled, under
a key that covers everything its loading depends on — the pack's text, mmpath's version,
the source of the modules that define and check packs, the registered facts and their
kinds, the catalogue's data and the libraries of definitions found — so a change to any
of them makes a new entry and a stale one is never used. Broken packs are never stored:
their problems are reported from the YAML each time.

The same folder keeps, the same way: libraries of definitions (``libraries/``, e.g. the
shipped mm-common, read while the facts are registered), the bytecode of each pack's
generated condition program (``code/``, ``engine.codegen``, keyed by the digest of its
source and the interpreter's bytecode version) and the parsed YAML of the catalogue, dose
notes and label cautions (``yaml/``, ``yamlload.load_yaml_cached``).

Where: ``$MMPATH_CACHE`` if set (``off`` disables the cache), else
``$XDG_CACHE_HOME/mmpath`` or ``~/.cache/mmpath``. Any problem reading or writing the
cache (read-only home, a damaged file) falls back to loading from YAML, silently. The
files are pickles: they are read only from the user's own cache folder, which only that
user can write; set ``MMPATH_CACHE=off`` where that does not hold.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mmpath.engine.definitions import Library
    from mmpath.engine.pack import Pack

ENV_VAR = "MMPATH_CACHE"
_CODE = ("pack.py", "definitions.py", "condition_field.py", "conditions.py", "resolve.py")
_DATA = ("drugs.yaml", "regimens.yaml")


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get(ENV_VAR)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mmpath"


@cache
def _code() -> bytes:
    """mmpath's version, the modules that define and check packs, the catalogue's data."""
    from mmpath import __version__

    digest = hashlib.sha256(__version__.encode())
    engine = resources.files("mmpath.engine")
    for name in _CODE:
        digest.update(engine.joinpath(name).read_bytes())
    catalogue = resources.files("mmpath.catalogue").joinpath("data")
    for name in _DATA:
        digest.update(catalogue.joinpath(name).read_bytes())
    return digest.digest()


@cache
def _environment() -> bytes:
    """What every cached pack depends on besides its own text (once per process, after
    every fact is registered): the code and data above and the registered facts."""
    from mmpath.assess import FACTS

    digest = hashlib.sha256(_code())
    for name in sorted(FACTS):
        spec = FACTS[name]
        digest.update(f"{name}:{spec.kind}:{spec.library}\n".encode())
    return digest.digest()


def _key(text: str, libraries: list[bytes]) -> str:
    digest = hashlib.sha256(_environment())
    for library in libraries:
        digest.update(hashlib.sha256(library).digest())
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def read_entry(kind: str, key: str) -> bytes | None:
    """The bytes kept under ``kind/key``, or None (cache off, absent, unreadable)."""
    where = folder()
    if where is None:
        return None
    try:
        return (where / kind / key).read_bytes()
    except Exception:
        return None


def write_entry(kind: str, key: str, data: bytes) -> None:
    """Keep ``data`` under ``kind/key`` (atomically; silently skipped when not possible)."""
    where = folder()
    if where is None:
        return
    try:
        target = where / kind
        target.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target / key)
    except Exception:
        return


def load(text: str, libraries: list[bytes]) -> Pack | None:
    """The cached pack for this text (and these library texts), or None."""
    data = read_entry("packs", f"{_key(text, libraries)}.pickle")
    try:
        pack: Pack | None = None if data is None else pickle.loads(data)
    except Exception:
        return None
    return pack


def store(text: str, libraries: list[bytes], pack: Pack) -> None:
    """Keep a pack that loaded without problems (silently skipped when not possible)."""
    if folder() is not None:
        data = pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL)
        write_entry("packs", f"{_key(text, libraries)}.pickle", data)


def _library_key(text: str, kinds: Mapping[str, str]) -> str:
    """A library depends on its text, the code and data, and the facts it may read (it is
    parsed while the facts are still being registered, so not on :func:`_environment`)."""
    digest = hashlib.sha256(_code())
    for name in sorted(kinds):
        digest.update(f"{name}:{kinds[name]}\n".encode())
    digest.update(text.encode("utf-8"))
    return f"{digest.hexdigest()}.pickle"


def load_library(text: str, kinds: Mapping[str, str]) -> Library | None:
    """The cached library of definitions for this text and these readable facts, or None."""
    data = read_entry("libraries", _library_key(text, kinds))
    try:
        library: Library | None = None if data is None else pickle.loads(data)
    except Exception:
        return None
    return library


def store_library(text: str, kinds: Mapping[str, str], library: Library) -> None:
    """Keep a library that loaded without problems."""
    if folder() is not None:
        data = pickle.dumps(library, protocol=pickle.HIGHEST_PROTOCOL)
        write_entry("libraries", _library_key(text, kinds), data)
