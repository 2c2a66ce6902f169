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


@pytest.mark.parametrize(
    ("name", "drugs"),
    [
        ("VAD", {"vincristine", "doxorubicin", "dexamethasone"}),
        ("MPR", {"melphalan", "prednisone", "lenalidomide"}),
        ("BP", {"bendamustine", "prednisone"}),
        ("Benda-Vd", {"bendamustine", "bortezomib", "dexamethasone"}),
        ("Melflufen-dex", {"melphalan flufenamide", "dexamethasone"}),
        ("melflufen + dexamethasone", {"melphalan flufenamide", "dexamethasone"}),
        (
            "Caelyx - vincristine - dexamethasone",
            {"liposomal doxorubicin", "vincristine", "dexamethasone"},
        ),
        ("Lynozyfic", {"linvoseltamab"}),
        ("teclistamab", {"teclistamab"}),
        ("talquetamab", {"talquetamab"}),
        ("cilta-cel", {"ciltacabtagene autoleucel"}),
        ("Abecma", {"idecabtagene vicleucel"}),
        ("selinexor + bortezomib + dexamethasone", {"selinexor", "bortezomib", "dexamethasone"}),
        ("Ven-Dex", {"venetoclax", "dexamethasone"}),
        ("VMP", {"bortezomib", "melphalan", "prednisone"}),
        ("REP", {"lenalidomide", "cyclophosphamide", "prednisolone"}),
        ("VR", {"bortezomib", "lenalidomide"}),  # maintenance; review es-r05 was refused
        ("Dd", {"daratumumab", "dexamethasone"}),  # DVd, bortezomib dropped (review r12, r25, r35)
        ("VT", {"bortezomib", "thalidomide"}),  # GEM maintenance (review r33)
        # Japanese letters: L = lenalidomide, B = bortezomib (review r44)
        ("Ld", {"lenalidomide", "dexamethasone"}),
        ("DLd", {"daratumumab", "lenalidomide", "dexamethasone"}),
        ("DBd", {"daratumumab", "bortezomib", "dexamethasone"}),
        ("MPB", {"melphalan", "prednisone", "bortezomib"}),
        ("KLd", {"carfilzomib", "lenalidomide", "dexamethasone"}),
        ("ELd", {"elotuzumab", "lenalidomide", "dexamethasone"}),
    ],
)
def test_drugs_and_regimens_a_real_history_contains(name: str, drugs: set[str]) -> None:
    found = CAT.drugs_of(name)
    assert found is not None and set(found) == drugs


@pytest.mark.parametrize("name", ["BVD", "BVd", "bvd", "B-V-D", "DVD", "dvd", "D-V-D"])
def test_ambiguous_abbreviations_are_not_resolved(name: str) -> None:
    assert CAT.ambiguity(name) is not None
    assert CAT.drugs_of(name) is None
    assert CAT.regimen(name) is None


def test_the_conventional_spelling_of_one_reading_resolves() -> None:
    # lower-case d (dexamethasone): the CASTOR abbreviation
    assert CAT.ambiguity("DVd") is None
    regimen = CAT.regimen("DVd")
    assert regimen is not None and "daratumumab" in regimen.drugs
    readings = {r.id for r in CAT.ambiguous["bvd"].readings}
    assert readings == {"Benda-Vd", "Belamaf-Vd"}


def test_supportive_care_is_data_and_never_an_anti_myeloma_drug() -> None:
    import pytest

    from mmpath.catalogue.catalogue import Catalogue, CatalogueError

    catalogue = load_catalogue()
    assert {"denosumab", "zoledronic acid"} <= catalogue.supportive
    assert all(catalogue.drug(name) is None for name in catalogue.supportive)
    with pytest.raises(CatalogueError, match="also anti-myeloma"):
        Catalogue(catalogue.drugs, {}, None, frozenset({"Lenalidomide"}))
