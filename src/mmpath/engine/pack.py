"""Guideline packs: knowledge as data (YAML), validated on load.

A pack encodes one source document: metadata, verbatim quotes with English renderings,
and rules whose conditions (see ``conditions``) select options. Packs contain no code.
The format is documented in docs/pack-format.md; ``mmpath schema pack`` prints this
model as JSON Schema for editors.

This model checks a pack's shape and its references to itself (quote keys, rule ids,
phases, regions). Names defined outside the pack (facts, regimens, drugs, classes,
option codes) are resolved by ``engine.resolve`` when ``engine.packs`` loads it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from mmpath.engine.condition_field import ConditionField
from mmpath.engine.conditions import Condition, Const, IsTrue, Loc, fact_names
from mmpath.engine.definitions import DefinedName, Definition, LibraryRef

Tier = Literal["preferred", "alternative", "consider"]
Kind = Literal["regimen", "procedure", "referral", "observation", "supportive"]
KINDS: tuple[Kind, ...] = ("regimen", "procedure", "referral", "observation", "supportive")
TIER_RANK = {"preferred": 0, "alternative": 1, "consider": 2}

Region = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"),
    Field(description="ISO 3166-1 alpha-2 country code, optionally with a subdivision: NL, DK-84"),
]
PhaseName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$"),
    Field(description="a phase of the pack's pathway (declared in phases)"),
]


class PackProblems(ValueError):
    """References inside a pack that do not resolve, each with its location in the pack."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Quote(_Model):
    """A verbatim passage of the source document with its English rendering."""

    section: str
    quote: str
    english: str
    grade: str | None = None


class When(_Model):
    """Mixin: a ``when`` condition (default: always)."""

    when: ConditionField = Field(default=Const(True), json_schema_extra={"default": True})

    @property
    def condition(self) -> Condition:
        return self.when


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
    regions: list[Region] = []
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
    phase: PhaseName | None = None
    rationale: str | None = None
    grade: str | None = None
    details: str | None = Field(
        default=None, description="cycles, dose, duration as the source says"
    )
    sources: list[str] = []
    exclude_when: ConditionField | None = None
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
        return self

    @cached_property
    def kind(self) -> Kind:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @cached_property
    def code(self) -> str:
        value = getattr(self, self.kind)
        assert isinstance(value, str)
        return value

    @property
    def exclusion(self) -> Condition | None:
        return self.exclude_when


class ExclusionSpec(_Model):
    """An option the source names but rules out (e.g. not reimbursed in the country)."""

    regimen: str | None = None
    procedure: str | None = None
    reason: str
    sources: list[str]
    indication_not_stated: bool = False
    """The source lists the option without saying for whom (es-len-refractory's caption):
    mmpath does not offer it, and the comparison treats this as the source's silence, not as
    a position the guideline takes against the option."""

    @model_validator(mode="after")
    def _one_kind(self) -> ExclusionSpec:
        if (self.regimen is None) == (self.procedure is None):
            raise ValueError("give exactly one of regimen, procedure")
        return self


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


class SummaryReadings(_Model):
    """Decision-summary items this pack decides with its own (boolean) facts.

    The decision summary (recommendation-v1) shows the branch-deciding facts once per
    record; a pack whose branches turn on its own reading (e.g. the Danish high-risk group,
    the Danish eligibility rule) names those facts here, so that the summary shows the
    value the pack's branches use, never a different one beside it."""

    risk: str | None = Field(
        default=None, description="a boolean fact: true = high risk, false = standard risk"
    )
    transplant_eligible: str | None = Field(
        default=None, description="a boolean fact: the pack's transplant-eligibility rule"
    )

    def items(self) -> list[tuple[str, str]]:
        """(summary item, fact name) for the items given."""
        return [
            (k, v)
            for k, v in (("risk", self.risk), ("transplant_eligible", self.transplant_eligible))
            if v
        ]


class Pack(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="equals the pack's folder name")
    title: str
    version: str = Field(description="the pack's own version: bump it on every change")
    organisation: str | None = None
    language: str
    source_document: str = Field(description="the source document's file, beside pack.yaml")
    published: str | None = None
    source_limitations: list[str] = []
    regions: list[Region] = Field(
        default=[],
        description="where the guideline is meant for; a patient record's region must be one "
        "that an installed pack declares",
    )
    applicability: Applicability
    imports: list[LibraryRef] = Field(
        default=[],
        description="libraries of definitions the pack reads, by id and major version "
        "(mm-common@1)",
    )
    quotes: dict[str, Quote]
    defines: dict[DefinedName, Definition] = Field(
        default={},
        description="named definitions (facts that are combinations of other facts), each "
        "with its definition and source quotes; the pack's conditions read them by name",
    )
    rules: list[Rule]
    constraints: list[Constraint] = []
    cautions: list[Caution] = []
    dosing: list[Caution] = []
    notes: list[Note] = []
    phases: list[PhaseName] = Field(
        default=[], description="pathway packs: the phases in order, named by the pack"
    )
    summary: SummaryReadings | None = Field(
        default=None,
        description="decision-summary items (risk, transplant_eligible) the pack decides "
        "with its own facts; the summary then shows the pack's value when the pack applies",
    )

    _scope: dict[str, Definition] = PrivateAttr(default_factory=dict)

    @property
    def scope(self) -> dict[str, Definition]:
        """The definitions this pack evaluates itself: its own and those of imported
        libraries that are not registered facts (set when the pack is loaded)."""
        return self._scope or self.defines

    @model_validator(mode="after")
    def _references_resolve(self) -> Pack:
        problems = [
            (loc, f"unknown quote key {key!r}")
            for loc, key in self.quote_references()
            if key not in self.quotes
        ]
        problems += self._duplicates()
        rule_ids = {rule.id for rule in self.rules}
        option_phases = set(self.phases)
        for group in ("constraints", "cautions", "dosing"):
            for i, item in enumerate(getattr(self, group)):
                problems += [
                    ((group, i, "applies_to", "rules", j), f"unknown rule id {rid!r}")
                    for j, rid in enumerate(item.applies_to.rules)
                    if rid not in rule_ids
                ]
        for i, phase in enumerate(self.phases):
            if phase in self.phases[:i]:
                problems.append((("phases", i), f"phase {phase!r} is listed twice"))
        for i, rule in enumerate(self.rules):
            for j, option in enumerate(rule.options):
                loc: Loc = ("rules", i, "options", j)
                if option.phase is not None and option.phase not in option_phases:
                    declared = ", ".join(self.phases) or "none declared"
                    problems.append(
                        ((*loc, "phase"), f"phase {option.phase!r} is not in phases ({declared})")
                    )
                for k, availability in enumerate(option.availability):
                    problems += [
                        (
                            (*loc, "availability", k, "regions", m),
                            f"region {region!r} is not one of the pack's regions "
                            f"({', '.join(self.regions) or 'none declared'})",
                        )
                        for m, region in enumerate(availability.regions)
                        if region not in self.regions
                    ]
        problems += [
            (
                ("cautions", i, "severity"),
                "give a severity (contraindicating, dose, monitoring, information)",
            )
            for i, c in enumerate(self.cautions)
            if c.severity is None
        ]
        if problems:
            raise PackProblems(problems)
        return self

    def _duplicates(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        for group in ("rules", "constraints", "cautions", "dosing", "notes"):
            seen: set[str] = set()
            for i, item in enumerate(getattr(self, group)):
                if item.id in seen:
                    problems.append(((group, i, "id"), f"duplicate id {item.id!r} in {group}"))
                seen.add(item.id)
        return problems

    def quote_references(self) -> list[tuple[Loc, str]]:
        """Every quote key the pack cites, with where."""
        refs: list[tuple[Loc, list[str]]] = [
            (("defines", name, "sources"), d.sources) for name, d in self.defines.items()
        ]
        for i, rule in enumerate(self.rules):
            refs.append((("rules", i, "sources"), rule.sources))
            for j, o in enumerate(rule.options):
                refs.append((("rules", i, "options", j, "sources"), o.sources))
                refs += [
                    (("rules", i, "options", j, "availability", k, "sources"), a.sources)
                    for k, a in enumerate(o.availability)
                ]
                if o.despite_refractory is not None:
                    refs.append(
                        (
                            ("rules", i, "options", j, "despite_refractory", "sources"),
                            o.despite_refractory.sources,
                        )
                    )
            refs += [
                (("rules", i, "excluded", j, "sources"), e.sources)
                for j, e in enumerate(rule.excluded)
            ]
        for group in ("constraints", "cautions", "dosing", "notes"):
            for i, item in enumerate(getattr(self, group)):
                refs.append(((group, i, "sources"), item.sources))
        return [((*loc, n), key) for loc, keys in refs for n, key in enumerate(keys)]

    @cached_property
    def fact_names(self) -> frozenset[str]:
        """Every fact name the pack's conditions read (computed once; packs are frozen)."""
        return frozenset(name for _, c in self.conditions() for name in fact_names(c))

    def conditions(self) -> list[tuple[str, Condition]]:
        """Every condition in the pack, with where it stands (in words)."""
        return [(where, condition) for _, where, condition in self.located_conditions()]

    def located_conditions(self) -> list[tuple[Loc, str, Condition]]:
        """Every condition in the pack, with its location and where it stands in words."""
        found: list[tuple[Loc, str, Condition]] = [
            (("applicability", "when"), "applicability", self.applicability.condition)
        ]
        found += [
            (("defines", name, "means"), f"defines {name}", d.means)
            for name, d in self.defines.items()
        ]
        for i, rule in enumerate(self.rules):
            found.append((("rules", i, "when"), f"rule {rule.id}", rule.condition))
            for j, o in enumerate(rule.options):
                loc: Loc = ("rules", i, "options", j)
                found.append(((*loc, "when"), f"rule {rule.id} option {o.code}", o.condition))
                if o.exclusion is not None:
                    found.append(
                        (
                            (*loc, "exclude_when"),
                            f"rule {rule.id} option {o.code} exclude_when",
                            o.exclusion,
                        )
                    )
        for group in ("constraints", "cautions", "dosing", "notes"):
            found += [
                ((group, i, "when"), f"{group} {item.id}", item.condition)
                for i, item in enumerate(getattr(self, group))
            ]
        if self.summary is not None:
            found += [
                (("summary", item), f"summary {item}", IsTrue(name))
                for item, name in self.summary.items()
            ]
        return found
