"""Regimen and drug names resolve as the sources write them."""

from __future__ import annotations

import pytest

from mmpath.catalogue import load_catalogue

CAT = load_catalogue()


@pytest.mark.parametrize(
    ("name", "drugs"),
    [
        ("DVd", {"daratumumab", "bortezomib", "dexamethasone"}),
        ("Dara-Vd", {"daratumumab", "bortezomib", "dexamethasone"}),
        ("daratumumab - bortezomib - dexamethason", {"daratumumab", "bortezomib", "dexamethasone"}),
        ("Carfilzomib - Rd", {"carfilzomib", "lenalidomide", "dexamethasone"}),
        ("REP", {"lenalidomide", "cyclophosphamide", "prednisolone"}),
        ("PED", {"pomalidomide", "cyclophosphamide", "dexamethasone"}),
        ("PAD", {"bortezomib", "doxorubicin", "dexamethasone"}),
        ("RAD", {"lenalidomide", "doxorubicin", "dexamethasone"}),
        ("VCD", {"bortezomib", "cyclophosphamide", "dexamethasone"}),
        ("D-VMP", {"daratumumab", "bortezomib", "melphalan", "prednisone"}),
        ("lenalidomide", {"lenalidomide"}),
        ("Revlimid", {"lenalidomide"}),
    ],
)
def test_names_and_aliases_resolve_to_drug_sets(name: str, drugs: set[str]) -> None:
    found = CAT.drugs_of(name)
    assert found is not None and set(found) == drugs


def test_a_combination_resolves_to_the_catalogue_regimen_with_that_drug_set() -> None:
    regimen = CAT.regimen("Ixazomib - lenalidomide - dexamethason")
    assert regimen is not None and regimen.id == "IRd"


def test_unknown_names_do_not_resolve() -> None:
    assert CAT.regimen("XYZ-q") is None
    assert CAT.drugs_of("daratumumab - unobtainium") is None


def test_every_regimen_drug_is_classified() -> None:
    for regimen in CAT.regimens.values():
        for drug in regimen.drugs:
            assert CAT.classes_of(drug), f"{drug} has no class"
    assert "anti_cd38" in CAT.classes_of("isatuximab")
    assert CAT.is_steroid("dexamethasone") and not CAT.is_steroid("bortezomib")
