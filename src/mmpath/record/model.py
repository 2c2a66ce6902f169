"""The patient record, version 1 (shared/spec/patient-record-v1.md), as pydantic models.

Absent or ``null`` means *unknown*, never *no*; ``false`` / ``"none"`` / ``[]`` mean the
thing was checked and is absent. Field names are the contract's and must not change;
fields may be added. Unknown fields are refused rather than silently dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mmpath.catalogue import load_catalogue
from mmpath.record.errors import FieldProblem, FieldProblems
from mmpath.record.plausibility import body_problem, lab_problem
from mmpath.record.types import Fraction, IsoDate, NonNegative, Number
from mmpath.record.units import accepted_units

Response = Literal["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD"]
Setting = Literal["induction", "consolidation", "maintenance", "salvage", "other"]
StopReason = Literal["completed", "progression", "toxicity", "patient_choice", "other"]
Sex = Literal["female", "male", "other", "unknown"]
Region = Annotated[
    str,
    Field(
        description="where the patient is treated: a region an installed guideline pack "
        "declares (shipped packs: NL, DK, BE, ES, JP; `mmpath packs` lists them)",
        examples=["NL", "DK", "BE", "ES", "JP"],
    ),
]
Extramedullary = Literal["none", "paraosseous", "extraosseous"]
ProcedureType = Literal[
    "autologous_sct", "allogeneic_sct", "stem_cell_collection", "radiotherapy", "car_t"
]
ProgressionFeature = Literal[
    "hypercalcemia",
    "renal_failure",
    "anemia",
    "bone_lesions",
    "extramedullary",
    "rapid_rise",
    "isotype_transformation",
    "plasma_cell_leukemia",
]
Comorbidity = Literal[
    "heart_failure",
    "ischemic_heart_disease",
    "arrhythmia",
    "hypertension",
    "uncontrolled_hypertension",
    "copd",
    "asthma",
    "peripheral_neuropathy",
    "diabetes",
    "renal_impairment",
    "dialysis",
    "liver_impairment",
    "venous_thromboembolism",
    "active_infection",
    "hbv",
    "hiv",
    "dementia",
    "other_malignancy",
]
LabTest = Literal[
    "serum_m_protein",
    "urine_m_protein",
    "flc_kappa",
    "flc_lambda",
    "beta2_microglobulin",
    "albumin",
    "ldh",
    "creatinine",
    "creatinine_clearance",
    "calcium",
    "hemoglobin",
    "circulating_plasma_cells",
    "bone_marrow_plasma_cells",
]


CLINICAL_FEATURES = frozenset(
    {"hypercalcemia", "renal_failure", "anemia", "bone_lesions", "extramedullary"}
)
"""Progression features that make a progression clinical (IMWG: CRAB, plasmacytoma)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Frailty(_Model):
    charlson_index: int | None = Field(default=None, ge=0)
    katz_adl: int | None = Field(default=None, ge=0, le=6)
    lawton_iadl: int | None = Field(default=None, ge=0, le=8)


class Diagnosis(_Model):
    date: IsoDate | None = None
    isotype: str | None = None
    iss: int | None = Field(default=None, ge=1, le=3)
    r_iss: int | None = Field(default=None, ge=1, le=3)
    plasma_cell_leukemia: bool | None = None


class LabResult(_Model):
    date: IsoDate
    test: LabTest
    value: NonNegative
    unit: str
    upper_limit: NonNegative | None = Field(
        default=None, description="upper limit of normal, same unit (LDH)"
    )

    @model_validator(mode="after")
    def _unit_fits_test(self) -> LabResult:
        if self.unit not in accepted_units(self.test):
            raise FieldProblem(
                "unit",
                f"unit {self.unit!r} is not accepted for {self.test}; "
                f"expected one of {', '.join(accepted_units(self.test))}",
            )
        problem = lab_problem(self.test, self.value, self.unit)
        if problem is not None:
            raise FieldProblem("value", problem)
        if self.upper_limit is not None and (
            limit := lab_problem(self.test, self.upper_limit, self.unit)
        ):
            raise FieldProblem("upper_limit", f"upper limit: {limit}")
        return self


class Cytogenetics(_Model):
    date: IsoDate | None = None
    method: str | None = None
    del_17p: bool | None = None
    del_17p_fraction: Fraction | None = None
    t_4_14: bool | None = None
    t_14_16: bool | None = None
    t_14_20: bool | None = None
    t_11_14: bool | None = None
    gain_1q: bool | None = None
    amp_1q: bool | None = None
    del_1p: bool | None = None
    del_1p_biallelic: bool | None = None
    tp53_mutation: bool | None = None


SAME_STEROID = {"prednisolone": "prednisone"}
"""Prednisone and prednisolone are written interchangeably in the same regimens (VMP, MPT,
REP: prednisone is the prodrug of prednisolone): a course named VMP whose drugs give
prednisolone agrees with the catalogue's VMP (review round 24, case r24-12). The course
keeps the drugs it was given."""


def _steroid_read(drugs: Iterable[str]) -> set[str]:
    return {SAME_STEROID.get(d, d) for d in drugs}


def _agree(given: set[str], named: Iterable[str]) -> bool:
    """Whether a course's drug list agrees with its regimen name: the same drugs, reading
    prednisone and prednisolone as one (:data:`SAME_STEROID`); a corticosteroid that only one
    of the two names also agrees. Dexamethasone is written into a regimen by some clinics and
    left out by others (premedication with an antibody: "Tec-DR" with dexamethasone, review
    r41-10; "KRd" listed as carfilzomib and lenalidomide), and the fact layer does not count
    it as a drug of the line (assess/timeline.py, rule 4); a steroid swapped for another (VMP
    given with dexamethasone) still disagrees. The regimen's drugs stay the course's drugs."""
    catalogue = load_catalogue()

    def steroids(drugs: set[str]) -> set[str]:
        return {d for d in drugs if "corticosteroid" in catalogue.classes_of(d)}

    a, b = _steroid_read(given), _steroid_read(named)
    if a - steroids(a) != b - steroids(b):
        return False
    return steroids(a) == steroids(b) or not steroids(a) or not steroids(b)


def unknown_drug(name: str) -> str:
    """The problem text for a drug the catalogue does not know (review r65: denosumab,
    zoledronic acid and the trial drug iberdomide were refused with only "expected an INN")."""
    if name.strip().casefold() in load_catalogue().supportive:
        return (
            f"{name!r} is supportive care, not anti-myeloma therapy: treatments hold courses of "
            "myeloma regimens only (leave it out; it is no line of therapy)"
        )
    return (
        f"unknown drug {name!r}; expected the INN of an anti-myeloma drug in mmpath's catalogue "
        "(catalogue/data/drugs.yaml); a drug under trial that the catalogue does not know is written "
        f"'investigational:{name.strip()}'"
    )


class Treatment(_Model):
    regimen: str | None = None
    drugs: list[str] | None = None
    start: IsoDate
    end: IsoDate | None = None
    setting: Setting | None = None
    line: int | None = Field(default=None, ge=1)
    best_response: Response | None = None
    stop_reason: StopReason | None = None
    cycles: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _resolvable(self) -> Treatment:
        catalogue = load_catalogue()
        if self.regimen is None and not self.drugs:
            raise FieldProblem("regimen", "give a regimen name or a list of drugs")
        for i, name in enumerate(self.drugs or []):
            if catalogue.drug(name) is None:
                raise FieldProblem(f"drugs[{i}]", unknown_drug(name))
        regimen_drugs = None
        ambiguous = catalogue.ambiguity(self.regimen) if self.regimen is not None else None
        if ambiguous is not None and not self.drugs:
            raise FieldProblem(
                "regimen",
                f"{self.regimen!r} is ambiguous: {ambiguous.describe()}; give the course's "
                "drugs (INNs) to say which",
            )
        if ambiguous is not None:
            given_set = {catalogue.drug(n) for n in self.drugs or []}
            # a formulation matches its substance: "doxorubicin" in a historical DVD is the
            # liposomal doxorubicin of that reading (the given drugs stay the course's drugs)
            given_substances = {catalogue.substance(n) for n in given_set if n}
            if not any(
                given_substances == {catalogue.substance(d) for d in r.drugs}
                for r in ambiguous.readings
            ):
                raise FieldProblem(
                    "drugs",
                    f"drugs {sorted(n for n in given_set if n)} match no reading of the "
                    f"ambiguous {self.regimen!r}: {ambiguous.describe()}",
                )
        elif self.regimen is not None:
            regimen_drugs = catalogue.drugs_of(self.regimen)
            # a name the catalogue does not know ("cyclophosphamide priming") is the course's
            # label when its drugs are given: the drugs decide (docs/record-validation.md)
            if regimen_drugs is None and not self.drugs:
                raise FieldProblem(
                    "regimen",
                    f"unknown regimen {self.regimen!r}; expected a name or alias from the "
                    "regimen catalogue (mmpath regimens) or drug names joined by ' - ', or "
                    "the course's drugs as a list (the name is then its label). A trial drug "
                    "known only by a code, or blinded, is written in drugs as "
                    "'investigational:<code>' (e.g. 'investigational:blinded'); a course whose "
                    "drugs are not known at all cannot be evaluated",
                )
        if self.drugs:
            given = {d for n in self.drugs if (d := catalogue.drug(n)) is not None}
            if regimen_drugs is not None and not _agree(given, regimen_drugs):
                raise FieldProblem(
                    "drugs",
                    f"drugs {sorted(given)} do not agree with regimen {self.regimen!r} "
                    f"({', '.join(regimen_drugs)})",
                )
        if self.end is not None and self.end < self.start:
            raise FieldProblem("end", f"end {self.end} is before start {self.start}")
        if self.end is None and self.stop_reason is not None:
            # read as running, a stopped course would make the patient refractory to drugs
            # last given years ago (independent review round 20, case r20-04)
            raise FieldProblem(
                "end",
                f"the course has a stop_reason ({self.stop_reason!r}) but no end; an absent end "
                "means the course is still running at as_of: give the date of the last dose",
            )
        return self

    def drug_set(self) -> tuple[str, ...]:
        """The course's drugs as INNs (regimen resolved through the catalogue; for an
        ambiguous regimen name or one the catalogue does not know, the given drugs)."""
        catalogue = load_catalogue()
        if self.regimen is not None and catalogue.ambiguity(self.regimen) is None:
            drugs = catalogue.drugs_of(self.regimen)
            if drugs is not None:
                return drugs
        # no regimen, an ambiguous one or one the catalogue does not know: the course's drugs
        # decide (validation checked them)
        return tuple(dict.fromkeys(catalogue.drug(n) or n for n in self.drugs or []))


class Procedure(_Model):
    type: ProcedureType
    date: IsoDate
    best_response_after: Response | None = None


class StemCells(_Model):
    stored_grafts: int | None = Field(default=None, ge=0)
    sufficient_for_asct: bool | None = None


class Progression(_Model):
    date: IsoDate
    type: Literal["biochemical", "clinical"] | None = None
    """absent: progression known, its type not (a clinical feature still makes it clinical;
    docs/record-validation.md)"""
    features: list[ProgressionFeature] | None = None

    @model_validator(mode="after")
    def _biochemical_has_no_clinical_features(self) -> Progression:
        clinical = sorted(set(self.features or ()) & CLINICAL_FEATURES)
        if self.type == "biochemical" and clinical:
            raise FieldProblem(
                "features",
                f"a biochemical progression has no end-organ damage or soft-tissue disease "
                f"({', '.join(clinical)}); expected type 'clinical' or other features",
            )
        return self


class MrdResult(_Model):
    date: IsoDate
    result: Literal["negative", "positive"]
    sensitivity: Number | None = Field(default=None, gt=0, lt=1)


class PatientRecord(_Model):
    """One patient at one decision date (``as_of``).

    Nothing dated after the decision date may be in the record (every dated entry is
    checked, see :meth:`dated_entries`): a decision can only rest on what was known then,
    and a record replayed at an earlier date carries only the data known at that date.
    """

    schema_version: Literal["1"]
    id: str | None = None
    as_of: IsoDate | None = Field(default=None, description="decision date; default today")
    birth_date: IsoDate | None = None
    age: int | None = Field(default=None, ge=0, le=130)
    sex: Sex | None = None
    weight_kg: Number | None = Field(default=None, gt=0, le=400)
    height_cm: Number | None = Field(default=None, gt=0, le=250)
    ecog: int | None = Field(default=None, ge=0, le=4)
    frailty: Frailty | None = None
    comorbidities: list[Comorbidity] | None = None
    diagnosis: Diagnosis | None = None
    labs: list[LabResult] | None = None
    cytogenetics: Cytogenetics | None = None
    extramedullary: Extramedullary | None = None
    treatments: list[Treatment] | None = None
    procedures: list[Procedure] | None = None
    stem_cells: StemCells | None = None
    progressions: list[Progression] | None = None
    mrd: list[MrdResult] | None = None
    status: Literal["newly_diagnosed", "relapsed"] | None = None
    transplant_eligible: bool | None = None
    donor_available: bool | None = None
    contraindications: list[str] | None = None
    intolerances: list[str] | None = None
    asserted: dict[str, bool] | None = None
    region: Region | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PatientRecord:
        if self.region is not None:
            # an open vocabulary: the regions the installed packs declare (engine.packs)
            from mmpath.engine.packs import known_regions

            regions = known_regions()
            if self.region not in regions:
                raise FieldProblem(
                    "region",
                    f"unknown region {self.region!r}; expected one the installed guideline "
                    f"packs declare: {', '.join(sorted(regions)) or 'none'}",
                )
        catalogue = load_catalogue()
        for field in ("contraindications", "intolerances"):
            for i, name in enumerate(getattr(self, field) or []):
                is_class = field == "contraindications" and name in catalogue.classes
                if catalogue.drug(name) is None and not is_class:
                    expected = (
                        "a drug INN or a class code (anti_cd38, imid, ...)"
                        if field == "contraindications"
                        else "a drug INN"
                    )
                    raise FieldProblem(f"{field}[{i}]", f"unknown {name!r}; expected {expected}")
        for field in ("weight_kg", "height_cm"):
            measured = getattr(self, field)
            if measured is not None and (problem := body_problem(field, measured)):
                raise FieldProblem(field, problem)
        decision = self.decision_date()
        which = "as_of" if self.as_of is not None else "today: as_of is absent"
        after = [
            FieldProblem(
                path,
                f"{what} {day} is after the decision date {decision} ({which}); a record "
                "replayed at an earlier date holds only the data known then",
            )
            for path, what, day in self.dated_entries()
            if day > decision
        ]
        if self.birth_date is not None:
            after += [
                FieldProblem(path, f"{what} {day} is before birth_date {self.birth_date}")
                for path, what, day in self.dated_entries()
                if day < self.birth_date
            ]
        elif self.age is not None:
            born_after = _earliest_birth(decision, self.age)
            early = [
                (path, what, day) for path, what, day in self.dated_entries() if day < born_after
            ]
            if early:
                path, what, day = min(early, key=lambda entry: entry[2])
                after.append(
                    FieldProblem(
                        "age",
                        f"age {self.age} at the decision date {decision} means born after "
                        f"{born_after}, but {path} ({what}) is {day}: is the age right?",
                    )
                )
        if not after:  # (a course dated after as_of would make every ASCT look early)
            after = self._transplants_before_treatment()
        if after:
            raise FieldProblems(after)
        return self

    def _transplants_before_treatment(self) -> list[FieldProblem]:
        """An autologous SCT re-infuses stem cells collected after induction treatment (IMWG;
        every source's pathway: induction, leukapheresis, HDT/ASCT), so with the treatment
        history recorded (a list, possibly empty) an ASCT dated before its first course is a
        wrong date or a history with its first line left out; read as given it would place
        the patient after a transplant not yet given (independent review r75-07)."""
        if self.treatments is None:
            return []
        first = min((t.start for t in self.treatments), default=None)
        return [
            FieldProblem(
                f"procedures[{i}].date",
                f"autologous SCT on {p.date} before any treatment course ("
                + (f"the first starts {first}" if first else "treatments lists none")
                + "): an ASCT follows induction and stem-cell collection; correct the date, or "
                "record the first-line courses (or leave treatments out if they are not known)",
            )
            for i, p in enumerate(self.procedures or [])
            if p.type == "autologous_sct" and (first is None or p.date < first)
        ]

    def decision_date(self) -> dt.date:
        """``as_of``, or today when it is absent (the contract's default)."""
        return self.as_of or dt.date.today()

    def dated_entries(self) -> list[tuple[str, str, dt.date]]:
        """Every date in the record with its field path and what it dates."""
        found: list[tuple[str, str, dt.date]] = []
        if self.birth_date is not None:
            found.append(("birth_date", "birth date", self.birth_date))
        if self.diagnosis is not None and self.diagnosis.date is not None:
            found.append(("diagnosis.date", "diagnosis", self.diagnosis.date))
        if self.cytogenetics is not None and self.cytogenetics.date is not None:
            found.append(("cytogenetics.date", "cytogenetics", self.cytogenetics.date))
        for i, course in enumerate(self.treatments or []):
            found.append((f"treatments[{i}].start", "start", course.start))
            if course.end is not None:
                found.append((f"treatments[{i}].end", "end", course.end))
        dates: list[tuple[str, str, list[dt.date]]] = [
            ("procedures", "procedure", [p.date for p in self.procedures or []]),
            ("progressions", "progression", [p.date for p in self.progressions or []]),
            ("labs", "lab result", [lab.date for lab in self.labs or []]),
            ("mrd", "MRD result", [m.date for m in self.mrd or []]),
        ]
        for field, what, days in dates:
            found += [(f"{field}[{i}].date", what, day) for i, day in enumerate(days)]
        return found


def _earliest_birth(decision: dt.date, age: int) -> dt.date:
    """The earliest birth date compatible with ``age`` full years on ``decision`` (the day
    after the (age + 1)th birthday before it; 29 February falls back to 28 February)."""
    years = age + 1
    try:
        day = decision.replace(year=decision.year - years)
    except ValueError:
        day = decision.replace(year=decision.year - years, day=28)
    return day + dt.timedelta(days=1)
