"""Guideline packs: knowledge as data (YAML), validated on load.

A pack encodes one source document: metadata, verbatim quotes with English renderings,
and rules whose conditions (see ``conditions``) select options. Packs contain no code.
The format is documented in docs/pack-format.md.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mmpath.engine.conditions import Condition, ConditionError, fact_names, parse

Tier = Literal["preferred", "alternative", "consider"]
Kind = Literal["regimen", "procedure", "referral", "observation", "supportive"]
Phase = Literal[
    "induction", "mobilisation", "transplant", "consolidation", "maintenance", "rehabilitation"
]
KINDS: tuple[Kind, ...] = ("regimen", "procedure", "referral", "observation", "supportive")
TIER_RANK = {"preferred": 0, "alternative": 1, "consider": 2}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quote(_Model):
    """A verbatim passage of the source document with its English rendering."""

    section: str
    quote: str
    english: str
    grade: str | None = None


class When(_Model):
    """Mixin: a parsed ``when`` condition (default: always)."""

    when: Any = True

    @field_validator("when")
    @classmethod
    def _parses(cls, raw: Any) -> Any:
        try:
            parse(raw)
        except ConditionError as error:
            raise ValueError(str(error)) from None
        return raw

    @cached_property
    def condition(self) -> Condition:
        return parse(self.when)


class Target(_Model):
    """Which options a constraint, caution or dose note is about (any match counts)."""

    drugs: list[str] = []
    classes: list[str] = []
    options: list[str] = []
    max_drugs: int | None = Field(default=None, description="regimens with at most N drugs")
    rules: list[str] = Field(default=[], description="limit to options from these rules")


class Availability(_Model):
    text: str
    status: str | None = Field(default=None, description="e.g. recommended, not_recommended_cost")
    regions: list[str] = []
    sources: list[str] = []


class DespiteRefractory(_Model):
    """The source recommends this option for patients refractory to these drugs (cited)."""

    drugs: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


class OptionSpec(When):
    regimen: str | None = None
    procedure: str | None = None
    referral: str | None = None
    observation: str | None = None
    supportive: str | None = None
    tier: Tier
    phase: Phase | None = None
    rationale: str | None = None
    grade: str | None = None
    details: str | None = Field(
        default=None, description="cycles, dose, duration as the source says"
    )
    sources: list[str] = []
    exclude_when: Any = None
    exclude_reason: str | None = None
    availability: list[Availability] = []
    despite_refractory: DespiteRefractory | None = Field(
        default=None,
        description="the source gives this option to patients refractory to these drugs: "
        "mmpath then keeps its tier (otherwise a refractory drug moves it down)",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> OptionSpec:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (got {given or 'none'})")
        if (self.exclude_when is None) != (self.exclude_reason is None):
            raise ValueError("exclude_when and exclude_reason go together")
        if self.exclude_when is not None:
            try:
                parse(self.exclude_when)
            except ConditionError as error:
                raise ValueError(str(error)) from None
        return self

    @cached_property
    def kind(self) -> Kind:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @cached_property
    def code(self) -> str:
        value = getattr(self, self.kind)
        assert isinstance(value, str)
        return value

    @cached_property
    def exclusion(self) -> Condition | None:
        return None if self.exclude_when is None else parse(self.exclude_when)


class ExclusionSpec(_Model):
    """An option the source names but rules out (e.g. not reimbursed in the country)."""

    regimen: str | None = None
    procedure: str | None = None
    reason: str
    sources: list[str]


class Rule(When):
    id: str
    title: str
    rationale: str
    sources: list[str]
    basis: Literal["named", "principle"] = Field(
        default="named",
        description="named: the source names these options; principle: the source states a "
        "principle and mmpath lists the catalogue regimens that fit it (not ranked by the source)",
    )
    options: list[OptionSpec] = []
    excluded: list[ExclusionSpec] = []


class Constraint(When):
    """Excludes matching options when ``when`` holds (e.g. lenalidomide retreatment rule)."""

    id: str
    applies_to: Target
    reason: str
    sources: list[str]


Severity = Literal["contraindicating", "dose", "monitoring", "information"]


class Caution(When):
    """A patient-specific warning or dose note attached to matching options.

    ``severity`` orders the cautions of an option (contraindicating first); it is required
    for ``cautions`` and is ``dose`` for ``dosing``."""

    id: str
    applies_to: Target
    text: str
    sources: list[str]
    severity: Severity | None = None


class Note(When):
    id: str
    text: str
    sources: list[str] = []


class Applicability(When):
    text: str
    not_applicable: str


class Pack(_Model):
    id: str
    title: str
    version: str
    organisation: str | None = None
    language: str
    source_document: str
    published: str | None = None
    source_limitations: list[str] = []
    applicability: Applicability
    quotes: dict[str, Quote]
    rules: list[Rule]
    constraints: list[Constraint] = []
    cautions: list[Caution] = []
    dosing: list[Caution] = []
    notes: list[Note] = []
    phases: list[Phase] = Field(default=[], description="pathway packs: the phases in order")

    @model_validator(mode="after")
    def _references_resolve(self) -> Pack:
        problems = []
        for where, keys in self.source_references():
            problems += [f"{where}: unknown quote key {k!r}" for k in keys if k not in self.quotes]
        ids = [r.id for r in self.rules]
        problems += [f"rules: duplicate id {i!r}" for i in {i for i in ids if ids.count(i) > 1}]
        problems += [
            f"cautions {c.id}: give a severity (contraindicating, dose, monitoring, information)"
            for c in self.cautions
            if c.severity is None
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def source_references(self) -> list[tuple[str, list[str]]]:
        refs: list[tuple[str, list[str]]] = []
        for i, rule in enumerate(self.rules):
            refs.append((f"rules[{i}] {rule.id}", rule.sources))
            refs += [(f"rules[{i}].options[{j}]", o.sources) for j, o in enumerate(rule.options)]
            refs += [(f"rules[{i}].excluded[{j}]", e.sources) for j, e in enumerate(rule.excluded)]
            for j, o in enumerate(rule.options):
                refs += [
                    (f"rules[{i}].options[{j}].availability", a.sources) for a in o.availability
                ]
                if o.despite_refractory is not None:
                    refs.append(
                        (
                            f"rules[{i}].options[{j}].despite_refractory",
                            o.despite_refractory.sources,
                        )
                    )
        for group in ("constraints", "cautions", "dosing", "notes"):
            for item in getattr(self, group):
                refs.append((f"{group} {item.id}", item.sources))
        return refs

    @cached_property
    def fact_names(self) -> frozenset[str]:
        """Every fact name the pack's conditions read (computed once; packs are frozen)."""
        return frozenset(name for _, c in self.conditions() for name in fact_names(c))

    def conditions(self) -> list[tuple[str, Condition]]:
        """Every condition in the pack, with where it stands."""
        found: list[tuple[str, Condition]] = [("applicability", self.applicability.condition)]
        for rule in self.rules:
            found.append((f"rule {rule.id}", rule.condition))
            for o in rule.options:
                found.append((f"rule {rule.id} option {o.code}", o.condition))
                if o.exclusion is not None:
                    found.append((f"rule {rule.id} option {o.code} exclude_when", o.exclusion))
        for group in ("constraints", "cautions", "dosing", "notes"):
            found += [(f"{group} {item.id}", item.condition) for item in getattr(self, group)]
        return found
