"""YAML loading for the data files shipped with mmpath (packs, catalogue, dose notes).

PyYAML's pure-Python parser takes about 0.1 s for the nl-rrmm pack alone, most of a cold
start; its libyaml binding (``CSafeLoader``, part of the PyYAML wheels) builds the same
data about ten times faster. The binding uses the same safe constructor and resolver, so
the data are the same (tests/test_yamlload.py checks every shipped file). When the text
does not parse, or libyaml is missing, the pure-Python parser runs, so error messages are
exactly those of ``yaml.safe_load``.

``load_yaml_cached`` keeps the parsed data of a text in the compiled-pack cache folder
(``engine.pack_cache``), keyed by the digest of the text: a short-lived process
(``mmpath recommend``) then unpickles the catalogue, dose notes and label cautions (about
1 ms) instead of parsing them (about 20 ms).
"""

from __future__ import annotations

import hashlib
import pickle
from typing import Any


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, through libyaml when it is available."""
    import yaml  # imported on first use: a process served from the caches never needs it

    try:
        from yaml import CSafeLoader as _FastLoader
    except ImportError:  # PyYAML built without libyaml
        _FastLoader = None  # type: ignore[assignment, misc]
    if _FastLoader is not None:
        try:
            return yaml.load(text, Loader=_FastLoader)  # CSafeLoader: safe constructor
        except yaml.YAMLError:
            pass  # parse again below for the pure-Python parser's error message
    return yaml.safe_load(text)


def load_yaml_cached(text: str) -> Any:
    """``load_yaml(text)``, kept in the cache folder once parsed (never a text that does not
    parse: its error is raised as by ``load_yaml``). Any problem with the cache falls back
    to parsing, silently."""
    from mmpath.engine import pack_cache

    key = hashlib.sha256(b"yaml safe_load\0" + text.encode()).hexdigest() + ".pickle"
    data = pack_cache.read_entry("yaml", key)
    if data is not None:
        try:
            return pickle.loads(data)
        except Exception:
            pass
    parsed = load_yaml(text)
    if pack_cache.folder() is not None:
        pack_cache.write_entry("yaml", key, pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL))
    return parsed
