"""YAML records decoded safely: the safe loader, aliases refused, nesting bounded
(``record.decode`` states the rules; this module holds the part that needs PyYAML, which
is imported only when a record is YAML)."""

from __future__ import annotations

from typing import Any

import yaml

from mmpath.record.decode import MAX_DEPTH
from mmpath.record.errors import Problem, RecordError


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases (``*name``) where it meets them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            mark = event.start_mark
            raise yaml.composer.ComposerError(
                None,
                None,
                "YAML aliases (*name) are not accepted in a patient record",
                mark,
            )
        return super().compose_node(parent, index)


def _yaml_shape(text: str) -> None:
    """Walk the YAML events (PyYAML's parser is iterative, its scanner lazy) and stop at
    the first alias or at nesting deeper than :data:`MAX_DEPTH`, before anything is built:
    a hostile document costs as much as its first few hundred characters."""
    brackets = 0  # PyYAML scans a run of flow brackets to its end first: count them here
    for char in text:
        if char in "[{":
            brackets += 1
            if brackets > 4 * MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels", None
                )
        elif char in "]}":
            brackets = max(0, brackets - 1)
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "YAML aliases (*name) are not accepted in a patient record",
                event.start_mark,  # type: ignore[arg-type]
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels",
                    event.start_mark,  # type: ignore[arg-type]
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def safe_yaml(text: str, where: str = "") -> Any:
    """Decode YAML text with the safe loader, aliases refused; problems raise ``RecordError``."""
    prefix = f"{where}: " if where else ""
    try:
        _yaml_shape(text)
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        where_in = f" (line {mark.line + 1} column {mark.column + 1})" if mark else ""
        message = f"{prefix}not valid YAML{where_in}: {str(problem)[:200]}"
    except RecursionError:
        message = f"{prefix}not valid YAML: nested more than {MAX_DEPTH} levels"
    raise RecordError([Problem("", message)])
