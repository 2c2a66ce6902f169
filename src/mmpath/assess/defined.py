"""Facts defined in YAML: the definitions of the shipped library ``mm-common``.

``mmpath/packs/mm-common/library.yaml`` holds facts that are plain AND/OR/NOT
combinations of other facts (double- and triple-class refractoriness, obstructive lung
disease, the second-ASCT candidate), each with its definition and the verbatim passage it
encodes (``engine.definitions``). They are registered here as facts like those derived in
Python, after every Python fact: a clinician can assert them and ``mmpath facts`` lists
them; a pack reads them when it imports ``mm-common@1``.
"""

from __future__ import annotations

from importlib import resources

from mmpath.assess.fact import FACTS, register
from mmpath.engine.definitions import LIBRARY_FILE, Library, fact_spec

SHIPPED = "mm-common"
SHIPPED_LIBRARY: Library | None = None
"""the shipped library, parsed once (its safety texts serve ``engine.evaluate``)"""


def shipped_library_text() -> tuple[str, str]:
    """(text, file name) of the shipped library."""
    file = resources.files("mmpath.packs").joinpath(SHIPPED, LIBRARY_FILE)
    return file.read_text("utf-8"), str(file)


def register_shipped() -> None:
    """Register mm-common's definitions (called once, after every Python fact)."""
    from mmpath.engine.packs import parse_library

    global SHIPPED_LIBRARY
    from mmpath.engine.definitions import safety_problems
    from mmpath.engine.packs import PackError, _located

    text, name = shipped_library_text()
    library = parse_library(text, name, {n: spec.kind for n, spec in FACTS.items()})
    missing = safety_problems(library, required=True)
    if missing:
        raise PackError(_located(name, text, missing))
    SHIPPED_LIBRARY = library
    for fact_name, definition in library.defines.items():
        register(fact_spec(fact_name, definition, library.id, FACTS))
