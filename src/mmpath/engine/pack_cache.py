"""The compiled-pack cache: a pack checked once is not parsed again in the next process.

Loading a pack means parsing its YAML, validating it and resolving every name in it
(``engine.packs``): tens of milliseconds per pack, paid by every short-lived process
(``mmpath recommend``). A pack that loaded without problems is stored here, pickled, under
a key that covers everything its loading depends on — the pack's text, mmpath's version,
the source of the modules that define and check packs, the registered facts and their
kinds, the catalogue's data and the libraries of definitions found — so a change to any
of them makes a new entry and a stale one is never used. Broken packs are never stored:
their problems are reported from the YAML each time.

The same folder keeps, under ``code/``, the bytecode of each pack's generated condition
program (``engine.codegen``), keyed by the digest of its source and the interpreter's
bytecode version.

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
def _environment() -> bytes:
    """What every cached pack depends on besides its own text (once per process)."""
    from mmpath import __version__
    from mmpath.assess import FACTS

    digest = hashlib.sha256(__version__.encode())
    engine = resources.files("mmpath.engine")
    for name in _CODE:
        digest.update(engine.joinpath(name).read_bytes())
    catalogue = resources.files("mmpath.catalogue").joinpath("data")
    for name in _DATA:
        digest.update(catalogue.joinpath(name).read_bytes())
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


def load(text: str, libraries: list[bytes]) -> Pack | None:
    """The cached pack for this text (and these library texts), or None."""
    where = folder()
    if where is None:
        return None
    try:
        data = (where / "packs" / f"{_key(text, libraries)}.pickle").read_bytes()
        pack: Pack = pickle.loads(data)
    except Exception:
        return None
    return pack


def store(text: str, libraries: list[bytes], pack: Pack) -> None:
    """Keep a pack that loaded without problems (silently skipped when not possible)."""
    where = folder()
    if where is None:
        return
    try:
        target = where / "packs"
        target.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(pack, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target / f"{_key(text, libraries)}.pickle")
    except Exception:
        return
