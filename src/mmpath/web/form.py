"""The patient form: which inputs exist, and how form data becomes a record and back.

Input names are the record's own field paths (``frailty.charlson_index``,
``treatments[1].end``), so a validation problem's path (``RecordError.problems[].path``)
names the input it is about; :func:`field_for` walks up a path that names no input (a
list element, a whole object) to the nearest one that exists.

Conversion keeps the record's three values: an empty input is *unknown* and is left out
of the record; a yes/no select has an explicit "unknown"; a comma list accepts ``none``
for "checked, none"; comorbidities have a "assessed" box so that no ticks can mean
"none" rather than "unknown". Dates are typed (``YYYY-MM-DD``, or ``YYYYMMDD`` as a
numeric keypad types them). A value that does not convert (``"abc"`` in a number
input) is passed on as typed, so validation reports it against its field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from mmpath.assess import FACTS
from mmpath.catalogue import load_catalogue
from mmpath.catalogue.catalogue import INVESTIGATIONAL
from mmpath.record import model
from mmpath.record.errors import Problem
from mmpath.record.units import FACTORS
from mmpath.web.fact_labels import COMORBIDITIES, picker_groups, topic_and_label


@dataclass(frozen=True, slots=True)
class Field:
    """One input. ``name`` is the record path (relative to the row for row fields)."""

    name: str
    label: str
    kind: str  # text | int | number | date | select | intselect | tristate | checks | list
    choices: tuple[str, ...] = ()
    hint: str = ""
    datalist: str | None = None


@dataclass(frozen=True, slots=True)
class Rows:
    """A repeating group: a record list of objects (``labs``, ``treatments`` ...)."""

    name: str
    label: str
    fields: tuple[Field, ...]
    hint: str = ""
    #: the box that records "none" (an empty list) rather than "unknown" (left out)
    none: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    items: tuple[Field | Rows, ...]
    hint: str = ""


def _choices(literal: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in get_args(literal))


YES_NO = ("true", "false")


def _regions() -> tuple[str, ...]:
    """The regions the installed guideline packs declare (an open vocabulary)."""
    from mmpath.engine.packs import known_regions

    return tuple(sorted(known_regions()))


def boolean_facts() -> tuple[str, ...]:
    """Facts a clinician can assert true/false (number and string facts are derived only)."""
    return tuple(sorted(n for n, spec in FACTS.items() if spec.kind == "boolean"))


SECTIONS: tuple[Section, ...] = (
    Section(
        "patient",
        "Patient",
        (
            Field("id", "Patient identifier", "text", hint="any label you choose; optional"),
            Field("as_of", "Decision date", "date", hint="empty = today"),
            Field("birth_date", "Birth date", "date"),
            Field("age", "Age (years)", "int", hint="only if no birth date"),
            Field("sex", "Sex", "select", _choices(model.Sex)),
            Field("weight_kg", "Weight (kg)", "number"),
            Field("height_cm", "Height (cm)", "number"),
            Field("region", "Region", "select", _regions(), "where treated"),
            Field(
                "status",
                "Disease status",
                "select",
                ("newly_diagnosed", "relapsed"),
                "empty = derived from treatments and progressions",
            ),
        ),
    ),
    Section(
        "fitness",
        "Fitness and comorbidity",
        (
            Field("ecog", "ECOG performance status", "intselect", ("0", "1", "2", "3", "4")),
            Field("frailty.charlson_index", "Charlson comorbidity index", "int"),
            Field("frailty.katz_adl", "Katz ADL (0–6)", "int"),
            Field("frailty.lawton_iadl", "Lawton IADL (0–8)", "int"),
            Field(
                "comorbidities",
                "Comorbidities",
                "checks",
                _choices(model.Comorbidity),
                "tick 'Comorbidities assessed' when the list was checked: the boxes left "
                "unticked then mean absent; not ticked = not assessed (unknown)",
            ),
            Field(
                "transplant_eligible",
                "Transplant eligible",
                "tristate",
                YES_NO,
                "your judgement; unknown = derived",
            ),
            Field("donor_available", "Allogeneic donor available", "tristate", YES_NO),
        ),
    ),
    Section(
        "diagnosis",
        "Diagnosis and disease",
        (
            Field("diagnosis.date", "Diagnosis date", "date"),
            Field(
                "diagnosis.isotype", "Isotype", "text", hint="e.g. IgG kappa", datalist="isotypes"
            ),
            Field("diagnosis.iss", "ISS stage", "intselect", ("1", "2", "3")),
            Field("diagnosis.r_iss", "R-ISS stage", "intselect", ("1", "2", "3")),
            Field("diagnosis.plasma_cell_leukemia", "Plasma cell leukaemia", "tristate", YES_NO),
            Field(
                "extramedullary",
                "Extramedullary disease",
                "select",
                _choices(model.Extramedullary),
                "extraosseous: soft-tissue disease apart from bone; paraosseous: extending from bone",
            ),
        ),
    ),
    Section(
        "cytogenetics",
        "Cytogenetics",
        (
            Field("cytogenetics.date", "Date", "date"),
            Field("cytogenetics.method", "Method", "text", hint="e.g. FISH"),
            Field("cytogenetics.del_17p", "del(17p)", "tristate", YES_NO),
            Field(
                "cytogenetics.del_17p_fraction",
                "del(17p) clonal fraction (0–1)",
                "number",
            ),
            Field("cytogenetics.t_4_14", "t(4;14)", "tristate", YES_NO),
            Field("cytogenetics.t_14_16", "t(14;16)", "tristate", YES_NO),
            Field("cytogenetics.t_14_20", "t(14;20)", "tristate", YES_NO),
            Field("cytogenetics.t_11_14", "t(11;14)", "tristate", YES_NO),
            Field("cytogenetics.gain_1q", "gain(1q)", "tristate", YES_NO),
            Field("cytogenetics.amp_1q", "amp(1q)", "tristate", YES_NO),
            Field("cytogenetics.del_1p", "del(1p)", "tristate", YES_NO),
            Field("cytogenetics.del_1p_biallelic", "biallelic del(1p)", "tristate", YES_NO),
            Field("cytogenetics.tp53_mutation", "TP53 mutation", "tristate", YES_NO),
        ),
        "yes = present, no = tested and absent, unknown = not tested",
    ),
    Section(
        "labs",
        "Laboratory results",
        (
            Rows(
                "labs",
                "Lab results",
                (
                    Field("date", "Date", "date"),
                    Field("test", "Test", "select", tuple(FACTORS)),
                    Field("value", "Value", "number"),
                    Field(
                        "unit",
                        "Unit",
                        "select",
                        tuple(sorted({u for t in FACTORS.values() for u in t})),
                    ),
                    Field("upper_limit", "Upper limit of normal (LDH)", "number"),
                ),
                none="No lab results",
            ),
        ),
    ),
    Section(
        "treatments",
        "Treatment history",
        (
            Rows(
                "treatments",
                "Treatment courses",
                (
                    Field("regimen", "Regimen", "text", datalist="regimens"),
                    Field("start", "Start", "date"),
                    Field("end", "End", "date", hint="empty = ongoing"),
                    Field("setting", "Setting", "select", _choices(model.Setting)),
                    Field("best_response", "Best response", "select", _choices(model.Response)),
                    Field("stop_reason", "Stop reason", "select", _choices(model.StopReason)),
                    Field("cycles", "Cycles", "int"),
                    Field("line", "Line", "int", hint="empty = derived"),
                    Field("drugs", "Drugs (INN, comma-separated)", "list", hint="optional"),
                ),
                "one row per course; the regimen box suggests catalogue names and aliases",
                none="No treatment yet",
            ),
        ),
    ),
    Section(
        "procedures",
        "Procedures",
        (
            Rows(
                "procedures",
                "Procedures",
                (
                    Field("type", "Type", "select", _choices(model.ProcedureType)),
                    Field("date", "Date", "date"),
                    Field(
                        "best_response_after",
                        "Best response after",
                        "select",
                        _choices(model.Response),
                    ),
                ),
                none="No procedure done",
            ),
            Field("stem_cells.stored_grafts", "Stored autologous grafts", "int"),
            Field(
                "stem_cells.sufficient_for_asct", "Enough stem cells for ASCT", "tristate", YES_NO
            ),
        ),
    ),
    Section(
        "progressions",
        "Progressions",
        (
            Rows(
                "progressions",
                "Progression events",
                (
                    Field("date", "Date", "date"),
                    Field("type", "Type", "select", ("biochemical", "clinical")),
                    Field("features", "Features", "checks", _choices(model.ProgressionFeature)),
                ),
                none="No progression recorded",
            ),
        ),
    ),
    Section(
        "mrd",
        "Minimal residual disease",
        (
            Rows(
                "mrd",
                "MRD results",
                (
                    Field("date", "Date", "date"),
                    Field("result", "Result", "select", ("negative", "positive")),
                    Field("sensitivity", "Sensitivity", "number", hint="e.g. 1e-5"),
                ),
                none="MRD not assessed",
            ),
        ),
    ),
    Section(
        "drugs",
        "Drugs to avoid",
        (
            Field(
                "contraindications",
                "Contraindications",
                "list",
                hint="drug INNs or classes (anti_cd38, imid, ...), comma-separated; 'none' = none",
                datalist="drugs-and-classes",
            ),
            Field(
                "intolerances",
                "Intolerances",
                "list",
                hint="drug INNs, comma-separated; 'none' = none",
                datalist="drugs",
            ),
        ),
    ),
    Section(
        "asserted",
        "Clinician assertions",
        (
            Rows(
                "asserted",
                "Assertions",
                (
                    Field("fact", "Fact", "select", boolean_facts()),
                    Field("value", "Value", "select", YES_NO),
                ),
                "state a fact yourself; it overrides the derivation and the result says so",
            ),
        ),
    ),
)

ROWS: dict[str, Rows] = {
    item.name: item for s in SECTIONS for item in s.items if isinstance(item, Rows)
}
SCALARS: tuple[Field, ...] = tuple(
    item for s in SECTIONS for item in s.items if isinstance(item, Field)
)
ASSESSED = "comorbidities.assessed"
#: form name of the "none" boxes of the repeating groups (value: the group's name)
NONE = "_none"


def choice_label(field: Field, choice: str) -> str:
    """What a select option or check box shows: yes/no for booleans, comorbidities and
    facts in words (``web/fact_labels.py``), other codes as words, units as written."""
    if field.choices == YES_NO:
        return {"true": "yes", "false": "no"}[choice]
    if field.name == "unit":
        return choice
    if field.name == "comorbidities":
        return COMORBIDITIES.get(choice, choice.replace("_", " "))
    if field.name == "fact":
        found = topic_and_label(choice)
        return found[1] if found else choice.replace("_", " ")
    return choice.replace("_", " ")


def fact_groups(names: tuple[str, ...]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The assertion picker's facts grouped by topic, in words."""
    return picker_groups(names)


def field_id(name: str) -> str:
    """The HTML id of the input named ``name`` (``treatments[1].end`` -> ``f-treatments-1-end``)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")


def section_of(record_field: str) -> str:
    """The anchor of the section holding top-level record field ``record_field``."""
    top = record_field.split(".")[0].split("[")[0]
    for section in SECTIONS:
        for item in section.items:
            if item.name.split(".")[0] == top:
                return "s-" + section.id
    return "s-patient"


# ---------------------------------------------------------------- form data -> record dict


_DIGITS8 = re.compile(r"^\d{8}$")


def _convert(field: Field, values: list[str]) -> Any:
    """The record value of one input, or ``...`` when the input is empty (= unknown)."""
    if field.kind == "checks":
        return [v for v in values if v] or ...
    raw = (values[-1] if values else "").strip()
    if raw == "":
        return ...
    if field.kind in ("int", "intselect"):
        try:
            return int(raw)
        except ValueError:
            return raw
    if field.kind == "number":
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            return raw
    if field.kind == "tristate":
        return {"true": True, "false": False}.get(raw, raw)
    if field.kind == "date" and _DIGITS8.match(raw):
        return f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"  # 20240314, as a numeric keypad types it
    if field.kind == "list":
        if raw.casefold() == "none":
            return []
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _put(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _getall(form: Any, name: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [str(v) for v in form.getlist(name)]
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


_ROW_KEY = re.compile(r"^(\w+)\[(\d+)\]\.")


def record_from_form(form: Any) -> dict[str, Any]:
    """The record dict the form describes (unvalidated; blank rows dropped)."""
    record: dict[str, Any] = {"schema_version": "1"}
    for field in SCALARS:
        value = _convert(field, _getall(form, field.name))
        if field.name == "comorbidities" and value is ... and _getall(form, ASSESSED):
            value = []
        if value is not ...:
            _put(record, field.name, value)
    indices: dict[str, set[int]] = {name: set() for name in ROWS}
    for key in form:
        match = _ROW_KEY.match(key)
        if match and match.group(1) in ROWS:
            indices[match.group(1)].add(int(match.group(2)))
    for name, group in ROWS.items():
        rows = []
        for index in sorted(indices[name]):
            row: dict[str, Any] = {}
            for field in group.fields:
                value = _convert(field, _getall(form, f"{name}[{index}].{field.name}"))
                if value is not ...:
                    row[field.name] = value
            if row:
                rows.append(row)
        if not rows:
            if group.none and name in _getall(form, NONE):
                record[name] = []  # "none" (checked), not unknown
            continue
        if name == "asserted":
            record["asserted"] = {
                str(r.get("fact", "")): {"true": True, "false": False}.get(
                    str(r.get("value")), r.get("value")
                )
                for r in rows
            }
        else:
            record[name] = rows
    return record


def form_problems(form: Any) -> list[Problem]:
    """Contradictions the record cannot show: a group's "none" box ticked with rows filled."""
    ticked = set(_getall(form, NONE))
    record = record_from_form(form)
    problems = []
    for name, group in ROWS.items():
        rows = record.get(name)
        if group.none and name in ticked and rows:
            problems.append(
                Problem(
                    name,
                    f"'{group.none}' is ticked but {len(rows)} row(s) are filled in: "
                    "untick it or clear the rows",
                )
            )
    return problems


# ---------------------------------------------------------------- record dict -> inputs


def value_at(record: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``a.b`` in a (possibly invalid) record dict, or None."""
    current: Any = record
    for part in dotted.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def display(value: Any) -> str:
    """How a record value shows in a text input."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return str(value)


def rows_of(record: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The rows of group ``name`` in a record dict (assertions as fact/value rows)."""
    value = record.get(name)
    if name == "asserted":
        if isinstance(value, Mapping):
            return [{"fact": k, "value": v} for k, v in value.items()]
        return []
    if isinstance(value, list):
        return [row if isinstance(row, dict) else {} for row in value]
    return []


def input_names(record: Mapping[str, Any]) -> set[str]:
    """Every input name the form renders for ``record`` (to map problems to inputs)."""
    names = {f.name for f in SCALARS}
    for name, group in ROWS.items():
        for index in range(len(rows_of(record, name)) + 1):
            names.update(f"{name}[{index}].{f.name}" for f in group.fields)
    return names


_LAST = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def field_for(
    path: str, names: Iterable[str], record: Mapping[str, Any] | None = None
) -> str | None:
    """The input a problem path is about: the path itself or its nearest ancestor.

    ``asserted.<fact>`` (an assertion is a mapping in the record, a row in the form) is
    the fact select of the row that names that fact.
    """
    known = set(names)
    if path.startswith("asserted."):
        fact = path.removeprefix("asserted.")
        for index, row in enumerate(rows_of(record or {}, "asserted")):
            if row.get("fact") == fact:
                return f"asserted[{index}].fact"
        return None
    candidate = path
    while candidate:
        if candidate in known:
            return candidate
        shorter = _LAST.sub("", candidate)
        if shorter == candidate:
            break
        candidate = shorter
    return None


# ---------------------------------------------------------------- suggestion lists


@cache
def datalists() -> dict[str, tuple[str, ...]]:
    """Autocomplete values: regimens (ids, names, aliases), drugs, classes, isotypes."""
    catalogue = load_catalogue()
    regimens: dict[str, None] = {}
    for regimen in catalogue.regimens.values():
        for name in (regimen.id, regimen.name, *regimen.aliases):
            regimens.setdefault(name, None)
    drugs = tuple(sorted(catalogue.drugs))
    return {
        "regimens": tuple(regimens),
        # a trial drug by its code: investigational:<code> (docs/record-validation.md)
        "drugs": (*drugs, INVESTIGATIONAL),
        "drugs-and-classes": drugs + tuple(sorted(catalogue.classes)),
        "isotypes": (
            "IgG kappa",
            "IgG lambda",
            "IgA kappa",
            "IgA lambda",
            "IgD",
            "IgM",
            "light chain kappa",
            "light chain lambda",
            "non-secretory",
        ),
    }


def units_by_test() -> dict[str, list[str]]:
    """Accepted units per lab test (for the unit select; src/mmpath/record/units.py)."""
    return {test: list(units) for test, units in FACTORS.items()}
