"""YAML loading for the data files shipped with mmpath (packs, catalogue, dose notes).

PyYAML's pure-Python parser takes about 0.1 s for the nl-rrmm pack alone, most of a cold
start; its libyaml binding (``CSafeLoader``, part of the PyYAML wheels) builds the same
data about ten times faster. The binding uses the same safe constructor and resolver, so
the data are the same (tests/test_yamlload.py checks every shipped file). When the text
does not parse, or libyaml is missing, the pure-Python parser runs, so error messages are
exactly those of ``yaml.safe_load``.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _FastLoader
except ImportError:  # PyYAML built without libyaml
    _FastLoader = None  # type: ignore[assignment, misc]


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, through libyaml when it is available."""
    if _FastLoader is not None:
        try:
            return yaml.load(text, Loader=_FastLoader)  # CSafeLoader: safe constructor
        except yaml.YAMLError:
            pass  # parse again below for the pure-Python parser's error message
    return yaml.safe_load(text)
