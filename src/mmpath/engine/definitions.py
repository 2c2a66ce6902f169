"""Named definitions: facts that are plain combinations of other facts, written in YAML.

A *definition* gives a boolean fact a name, a condition over other facts (``means``, the
condition language of ``engine.conditions``), its definition text and the verbatim source
passage it encodes (quote keys, like a rule's ``sources``). Definitions stand in a pack
(``defines:``) or in a shared *library* that packs import (``imports: [mm-common@1]``) —
the model is CQL's named expressions in libraries (HL7 Clinical Quality Language), kept
apart from the artefact that uses them, with mmpath's verbatim provenance added.

- The shipped library ``mm-common`` (``mmpath/packs/mm-common/library.yaml``) registers
  its definitions as facts (``assess.defined``): they can be asserted, are listed by
  ``mmpath facts`` and read by any pack that imports the library.
- A pack's own definitions, and those of other libraries it imports, are scoped to that
  pack (``Scoped``): evaluated over the patient's facts when the pack runs.

Every name a definition reads resolves at load (``check``): unknown names, non-boolean
facts standing alone, cycles (``a`` means ``b`` means ``a``) and a wrong library version
refuse the pack or library with ``file:line``. A defined fact's ``why`` lists each fact
it reads with its own reason (``why: values`` shows their values instead).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mmpath.engine.condition_field import ConditionField
from mmpath.engine.conditions import Condition, Loc, evaluate, fact_names

if TYPE_CHECKING:
    from mmpath.assess.fact import Fact, FactSpec, Value

DefinedName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
LibraryRef = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*@[0-9]+$"),
    Field(description="a library and its major version: mm-common@1"),
]
LIBRARY_FILE = "library.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Definition(_Model):
    """One named definition: ``means`` (a condition) with its definition and sources."""

    definition: str = Field(description="what the name means, in words, with its source")
    sources: list[str] = Field(min_length=1, description="quote keys: the verbatim passage(s)")
    means: ConditionField = Field(description="the condition that defines the name")
    needs: list[str] | None = Field(
        default=None,
        description="the record fields it needs (default: those of the facts it reads)",
    )
    why: Literal["reasons", "values"] = Field(
        default="reasons",
        description="the fact's reason lists each fact it reads with its reason (reasons) or "
        "its value (values)",
    )


class LibraryQuote(_Model):
    """A verbatim passage of a library's source, naming its document."""

    document: str
    section: str
    quote: str
    english: str
    grade: str | None = None


SAFETY_TEXTS: dict[str, frozenset[str]] = {
    "refractory": frozenset({"drug", "why"}),
    "refractory_despite": frozenset({"drug", "why"}),
    "refractory_unknown": frozenset({"drugs"}),
    "refractory_all": frozenset({"drugs"}),
    "contraindication": frozenset(),
    "intolerance": frozenset({"drug"}),
    "class_refractory": frozenset({"label", "same", "reasons"}),
    "class_refractory_same_target": frozenset({"drug", "label"}),
    "class_refractory_same_class": frozenset({"drug", "label"}),
    "kidney_dose_unknown": frozenset({"drug", "facts"}),
    "kidney_dose_alternatives": frozenset({"facts", "alternatives"}),
}
"""The safety rules the evaluator applies to every pack, and the placeholders each text
may use (``engine.evaluate``: refractoriness ranking and exclusion, contraindications,
intolerance, class refractoriness, undecided kidney dose)."""


class SafetyText(_Model):
    """The words and provenance of one of mmpath's own safety rules (not a guideline's)."""

    text: str = Field(description="the caution text or exclusion reason, with {placeholders}")
    rule: str | None = Field(default=None, description="the rule, shown as the caution's source")
    severity: Literal["contraindicating", "dose", "monitoring", "information"] | None = None
    provenance: Literal["mmpath_rule", "guideline", "label"] = "mmpath_rule"


class Library(_Model):
    """A shared library of definitions (``library.yaml``), imported by packs by id@version."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="equals its folder name")
    version: int = Field(ge=1, description="major version: packs import id@version")
    title: str
    quotes: dict[str, LibraryQuote]
    defines: dict[DefinedName, Definition]
    safety: dict[str, SafetyText] = Field(
        default={},
        description="mm-common only: the texts, severities and provenance of the safety rules "
        "the evaluator applies to every pack",
    )

    def located_conditions(self) -> list[tuple[Loc, str, Condition]]:
        return [
            (("defines", name, "means"), f"defines {name}", d.means)
            for name, d in self.defines.items()
        ]


def definition_problems(
    defines: Mapping[str, Definition],
    where: Loc,
    kinds: Mapping[str, str],
    quotes: Mapping[str, object],
) -> list[tuple[Loc, str]]:
    """Names a group of definitions reads that are unknown, cycles among them, quote keys
    that do not resolve, and names that clash with a fact.

    ``kinds`` holds every name readable here (facts and definitions) with its kind."""
    from mmpath.engine.resolve import condition_problems

    problems: list[tuple[Loc, str]] = []
    for name, d in defines.items():
        loc: Loc = (*where, name)
        problems += condition_problems(d.means, (*loc, "means"), kinds)
        problems += [
            ((*loc, "sources", i), f"unknown quote key {key!r}")
            for i, key in enumerate(d.sources)
            if key not in quotes
        ]
    problems += cycles(defines, where)
    return problems


def safety_problems(library: Library, *, required: bool) -> list[tuple[Loc, str]]:
    """Unknown safety rules, placeholders a rule's text may not use, and (``required``:
    the shipped library) rules without a text."""
    import string

    problems: list[tuple[Loc, str]] = []
    for name, item in library.safety.items():
        allowed = SAFETY_TEXTS.get(name)
        if allowed is None:
            known = ", ".join(SAFETY_TEXTS)
            problems.append((("safety", name), f"unknown safety rule {name!r}; known: {known}"))
            continue
        used = {n for _, n, _, _ in string.Formatter().parse(item.text) if n is not None}
        for extra in sorted(used - allowed):
            shown = ", ".join(f"{{{a}}}" for a in sorted(allowed)) or "none"
            problems.append(
                (("safety", name, "text"), f"placeholder {{{extra}}} not known here ({shown})")
            )
    if required:
        problems += [
            (("safety",), f"safety rule {name!r} has no text")
            for name in SAFETY_TEXTS
            if name not in library.safety
        ]
    return problems


def cycles(defines: Mapping[str, Definition], where: Loc) -> list[tuple[Loc, str]]:
    """Definitions that read themselves, directly or through others."""
    reads = {name: [n for n in fact_names(d.means) if n in defines] for name, d in defines.items()}
    problems: list[tuple[Loc, str]] = []
    reported: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        for nxt in reads[name]:
            if nxt in path:
                loop = [*path[path.index(nxt) :], nxt]
                if nxt not in reported:
                    reported.update(loop)
                    problems.append(
                        ((*where, nxt, "means"), "definition cycle: " + " -> ".join(loop))
                    )
                continue
            visit(nxt, [*path, nxt])

    for name in defines:
        if name not in reported:
            visit(name, [name])
    return problems


def derivation(
    d: Definition, get: Callable[[Any, str], Fact] | None = None
) -> Callable[[Any], tuple[Value, str]]:
    """The derivation of a defined fact: Kleene evaluation of ``means`` and the reason."""
    from mmpath.assess.fact import in_words  # here: mmpath.assess imports this module

    names = list(dict.fromkeys(fact_names(d.means)))
    values = d.why == "values"

    def derive(facts: Any) -> tuple[Value, str]:
        value, _ = evaluate(d.means, facts)
        parts = [facts.get(n) for n in names]
        why = "; ".join(f"{p.name}: {in_words(p.value) if values else p.why}" for p in parts)
        return value, why

    return derive


def fact_spec(name: str, d: Definition, library: str, specs: Mapping[str, FactSpec]) -> FactSpec:
    """A library definition as a registered fact (``assess.defined``)."""
    from mmpath.assess.fact import FactSpec

    return FactSpec(
        name,
        derivation(d),
        d.definition,
        tuple(d.needs) if d.needs is not None else _needs(d, specs),
        "boolean",
        library=library,
    )


def _needs(d: Definition, specs: Mapping[str, Any]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for n in fact_names(d.means):
        spec = specs.get(n)
        if spec is not None:
            found.update(dict.fromkeys(spec.needs))
    return tuple(found)


class Scoped:
    """The patient's facts seen from one pack: its own definitions (and those of imported
    libraries that are not registered facts) computed on first use, the rest delegated.

    Made per evaluation (one per pack and patient); holds only that run's values."""

    def __init__(self, facts: Any, defines: Mapping[str, Definition]) -> None:
        self._facts = facts
        self._defines = defines
        self._found: dict[str, Fact] = {}

    def get(self, name: str) -> Fact:
        d = self._defines.get(name)
        if d is None:
            found: Fact = self._facts.get(name)
            return found
        fact = self._found.get(name)
        if fact is None:
            from mmpath.assess.fact import FACTS, Fact

            value, why = derivation(d)(self)
            needs = tuple(d.needs) if d.needs is not None else _needs(d, FACTS)
            fact = self._found[name] = Fact(name, value, why, d.definition, needs)
        return fact

    def value(self, name: str) -> Value:
        if name not in self._defines:
            value: Value = self._facts.value(name)
            return value
        return self.get(name).value

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._facts, attribute)
