"""Resolve regimen and drug names as clinicians and the sources write them.

Drugs are keyed by lower-case English INN; each has classes (``imid``,
``proteasome_inhibitor``, ``anti_cd38``, ...; shared/reference/clinical-definitions.md,
"Drug classes") and aliases (abbreviations, brand names, Dutch and Danish spellings).
Regimens map an id (``DVd``) to a drug set and aliases (``Dara-Vd``,
``daratumumab - bortezomib - dexamethason``).

Matching ignores case, spaces, hyphens, slashes, plus signs, dots and brackets. A name
that is not an alias is split on separators (`` - ``, ``+``, ``/``, ``,``, "plus",
"and", "with") and each part resolved as a drug or a regimen, so ``Carfilzomib - Rd``
resolves to carfilzomib + lenalidomide + dexamethasone, the drug set of ``KRd``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from mmpath.yamlload import load_yaml_cached

STEROID_CLASS = "corticosteroid"
ADJUNCT_CLASSES = frozenset({"macrolide"})
"""Classes of drugs given with a myeloma regimen that are not anti-myeloma drugs themselves
(clarithromycin in ClaPd / BiRd): they never count as exposure, refractoriness or a drug
added to a line (``Catalogue.anti_myeloma_drugs``)."""

_MEMO_SIZE = 4096
"""Bound of the per-name memos (names come from records: not a closed set)."""
_UNSEEN = object()
_STRIP = re.compile(r"[\s\-/+().,]+")
_SPLIT = re.compile(r"\s+-\s+|\s*[+/,]\s*|\s+(?:plus|and|with|en|og|met)\s+|-", re.IGNORECASE)


INVESTIGATIONAL = "investigational:"
"""Prefix of a drug known only by its trial code, e.g. ``investigational:CC-92480``: a
drug of no class, accepted in a record's ``drugs`` (docs/record-validation.md). The prefix
is required so that a misspelt catalogue drug is still refused, never taken for one."""


def investigational(name: str) -> str | None:
    """The canonical name (``investigational:<code>``, the code in lower case, surrounding
    spaces removed) of an investigational drug name, or None for any other name."""
    if not name.casefold().startswith(INVESTIGATIONAL):
        return None
    code = name[len(INVESTIGATIONAL) :].strip().casefold()
    return f"{INVESTIGATIONAL}{code}" if code else None


@lru_cache(maxsize=4096)
def normalise(name: str) -> str:
    """The matching key of a name: lower case, separators removed (remembered for the
    most recent names: every course's regimen and drugs are looked up on every
    assessment)."""
    return _STRIP.sub("", name.casefold())


@dataclass(frozen=True, slots=True)
class Drug:
    inn: str
    classes: frozenset[str]
    aliases: tuple[str, ...]
    form_of: str | None = None
    """The active substance when this entry is one formulation of it (liposomal
    doxorubicin → doxorubicin): the same drug when a record's drugs are matched to the
    readings of an ambiguous abbreviation."""

    @property
    def is_steroid(self) -> bool:
        return STEROID_CLASS in self.classes


@dataclass(frozen=True, slots=True)
class Regimen:
    id: str
    name: str
    drugs: tuple[str, ...]
    aliases: tuple[str, ...]
    setting: str | None = None
    """``maintenance`` for regimens given only as maintenance (dose notes use it)."""


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """An abbreviation with more than one reading in the literature (``regimens.yaml``)."""

    name: str
    readings: tuple[Regimen, ...]
    note: str
    exact: dict[str, str]
    """Spellings, exact as typed, conventional for one reading: spelling -> regimen id."""

    def describe(self) -> str:
        readings = "; or ".join(f"{r.name} ({r.id})" for r in self.readings)
        return f"{readings} — {self.note}"


class CatalogueError(ValueError):
    """The catalogue data are inconsistent (a packaging defect, not user input)."""


class Catalogue:
    """Drugs and regimens with alias lookup."""

    def __init__(
        self,
        drugs: dict[str, Drug],
        regimens: dict[str, Regimen],
        ambiguous: dict[str, tuple[list[str], str, dict[str, str]]] | None = None,
        supportive: frozenset[str] = frozenset(),
    ) -> None:
        self.drugs = drugs
        self.regimens = regimens
        self.supportive = supportive
        """supportive-care drugs (lower case): not anti-myeloma courses (drugs.yaml)"""
        self.ambiguous: dict[str, Ambiguity] = {}
        for name, (readings, note, exact) in (ambiguous or {}).items():
            unknown = [r for r in (*readings, *exact.values()) if r not in regimens]
            if unknown:
                raise CatalogueError(f"ambiguous {name}: unknown regimen(s) {unknown}")
            self.ambiguous[normalise(name)] = Ambiguity(
                name, tuple(regimens[r] for r in readings), note, exact
            )
        self._drug_keys: dict[str, str] = {}
        for drug in drugs.values():
            for name in (drug.inn, *drug.aliases):
                self._claim(self._drug_keys, normalise(name), drug.inn, "drug")
        both = sorted(n for n in supportive if normalise(n) in self._drug_keys)
        if both:
            raise CatalogueError(f"supportive drug(s) {both} are also anti-myeloma drugs")
        self._regimen_keys: dict[str, str] = {}
        for regimen in regimens.values():
            for name in (regimen.id, regimen.name, *regimen.aliases):
                self._claim(self._regimen_keys, normalise(name), regimen.id, "regimen")
            for inn in regimen.drugs:
                if inn not in drugs:
                    raise CatalogueError(f"regimen {regimen.id} names unknown drug {inn!r}")
        self._by_drug_set: dict[frozenset[str], str] = {}
        for regimen in regimens.values():
            self._by_drug_set.setdefault(frozenset(regimen.drugs), regimen.id)
        self.classes: frozenset[str] = frozenset(c for d in drugs.values() for c in d.classes)
        self._class_drugs: dict[str, tuple[str, ...]] = {
            klass: tuple(sorted(d.inn for d in drugs.values() if klass in d.classes))
            for klass in self.classes
        }
        self._drugs_of: dict[str, tuple[str, ...] | None] = {}
        self._anti_myeloma: dict[tuple[str, ...] | frozenset[str], frozenset[str]] = {}
        """memo of :meth:`anti_myeloma_drugs` (the catalogue is read-only once built)"""

    @staticmethod
    def _claim(keys: dict[str, str], key: str, owner: str, kind: str) -> None:
        if keys.get(key, owner) != owner:
            raise CatalogueError(f"{kind} name key {key!r} is claimed by {keys[key]} and {owner}")
        keys[key] = owner

    def ambiguity(self, name: str) -> Ambiguity | None:
        """The ambiguity of a regimen name (None when it has one reading, or is spelled in
        the exact form conventional for one reading)."""
        found = self.ambiguous.get(normalise(name))
        if found is None or name.strip() in found.exact:
            return None
        return found

    def drug(self, name: str) -> str | None:
        """The INN for a drug name or alias, the canonical name of an investigational drug
        (:data:`INVESTIGATIONAL`), or None."""
        found = self._drug_keys.get(normalise(name))
        return found if found is not None else investigational(name)

    def _entry(self, inn: str) -> Drug:
        """The catalogue entry of ``inn``; an investigational drug's has no class."""
        found = self.drugs.get(inn)
        if found is not None:
            return found
        if investigational(inn) == inn:
            return Drug(inn, frozenset(), ())
        raise KeyError(inn)

    def regimen(self, name: str) -> Regimen | None:
        """The catalogue regimen for a name, alias or combination of names, or None.

        A combination whose drug set matches no catalogue regimen resolves to an ad-hoc
        regimen whose id is the name as written.
        """
        if name in self.regimens:
            return self.regimens[name]
        if self.ambiguity(name) is not None:
            return None
        key = normalise(name)
        if key in self._regimen_keys:
            return self.regimens[self._regimen_keys[key]]
        drugs = self.drugs_of(name)
        if drugs is None:
            return None
        return self.regimen_for_drugs(drugs) or Regimen(
            id=name.strip(), name=" - ".join(drugs), drugs=drugs, aliases=()
        )

    def drugs_of(self, name: str) -> tuple[str, ...] | None:
        """The drugs a regimen name denotes, or None when any part is unknown or the name
        is ambiguous (:meth:`ambiguity`). Remembered per name (bounded)."""
        found = self._drugs_of.get(name, _UNSEEN)
        if found is _UNSEEN:
            if len(self._drugs_of) >= _MEMO_SIZE:
                self._drugs_of.clear()
            found = self._drugs_of[name] = self._resolve_drugs(name)
        return found  # type: ignore[return-value]

    def _resolve_drugs(self, name: str) -> tuple[str, ...] | None:
        if self.ambiguity(name) is not None:
            return None
        key = normalise(name)
        if key in self._regimen_keys:
            return self.regimens[self._regimen_keys[key]].drugs
        if key in self._drug_keys:
            return (self._drug_keys[key],)
        parts = [p for p in _SPLIT.split(name) if p.strip()]
        if len(parts) < 2:
            return None
        drugs: list[str] = []
        for part in parts:
            found = self.drugs_of(part)
            if found is None:
                return None
            drugs.extend(d for d in found if d not in drugs)
        return tuple(drugs)

    def regimen_for_drugs(self, drugs: tuple[str, ...] | frozenset[str]) -> Regimen | None:
        rid = self._by_drug_set.get(frozenset(drugs))
        return self.regimens[rid] if rid else None

    def substance(self, inn: str) -> str:
        """The active substance of a drug (``form_of``, else the drug itself)."""
        return self._entry(inn).form_of or inn

    def classes_of(self, inn: str) -> frozenset[str]:
        return self._entry(inn).classes

    def drugs_in_class(self, klass: str) -> tuple[str, ...]:
        """The drugs (INN) of ``klass``, sorted; empty for a class no drug has."""
        return self._class_drugs.get(klass, ())

    def is_steroid(self, inn: str) -> bool:
        return self._entry(inn).is_steroid

    def active_drugs(self, drugs: tuple[str, ...] | frozenset[str]) -> frozenset[str]:
        """The drugs of a regimen other than corticosteroids."""
        return frozenset(d for d in drugs if not self.is_steroid(d))

    def anti_myeloma_drugs(self, drugs: tuple[str, ...] | frozenset[str]) -> frozenset[str]:
        """The anti-myeloma drugs of a course: neither corticosteroids nor adjuncts
        (:data:`ADJUNCT_CLASSES`, e.g. clarithromycin). What the fact layer counts as
        exposure, refractoriness and a drug added to a line. Remembered per argument."""
        found = self._anti_myeloma.get(drugs)
        if found is None:
            if len(self._anti_myeloma) >= _MEMO_SIZE:
                self._anti_myeloma.clear()
            found = self._anti_myeloma[drugs] = frozenset(
                d for d in self.active_drugs(drugs) if not (self.classes_of(d) & ADJUNCT_CLASSES)
            )
        return found


def _read(name: str) -> dict[str, Any]:
    text = resources.files("mmpath.catalogue").joinpath("data", name).read_text("utf-8")
    data = load_yaml_cached(text)
    if not isinstance(data, dict):
        raise CatalogueError(f"{name}: expected a mapping")
    return data


@cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped with mmpath (read once per process)."""
    drug_data = _read("drugs.yaml")
    drugs = {
        inn: Drug(
            inn=inn,
            classes=frozenset(d.get("classes", [])),
            aliases=tuple(d.get("aliases", [])),
            form_of=d.get("form_of"),
        )
        for inn, d in drug_data["drugs"].items()
    }
    supportive = frozenset(name.casefold() for name in drug_data.get("supportive", []))
    data = _read("regimens.yaml")
    regimens = {
        rid: Regimen(
            id=rid,
            name=r["name"],
            drugs=tuple(r["drugs"]),
            aliases=tuple(r.get("aliases", [])),
            setting=r.get("setting"),
        )
        for rid, r in data["regimens"].items()
    }
    ambiguous = {
        name: (list(a["readings"]), a["note"], dict(a.get("exact", {})))
        for name, a in data.get("ambiguous", {}).items()
    }
    return Catalogue(drugs, regimens, ambiguous, supportive)
