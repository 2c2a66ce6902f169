"""Where a value stands in a YAML text, for ``file:line`` error messages.

Data are loaded with ``yamlload.load_yaml`` (fast, no positions); only when a file has
problems is it composed again into YAML nodes, which carry their line numbers, and each
problem's data path (``("rules", 3, "options", 0, "regimen")``) is looked up there.
"""

from __future__ import annotations

import yaml

from mmpath.engine.conditions import Loc

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class Lines:
    """Line numbers (1-based) of the values of one YAML document."""

    def __init__(self, text: str) -> None:
        try:
            self.root: yaml.Node | None = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            self.root = None

    def line(self, loc: Loc) -> int | None:
        """The line of the value at ``loc``; for a path that does not exist (a missing
        key), the line of the deepest part that does; None for an unreadable text."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        child, line = value, key.start_mark.line + 1
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line
