"""Classification of hand-built decisions, each citing the guideline sentence it exercises."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mmpath.cohort.backend import ReferenceBackend, differences
from mmpath.cohort.extract import Extract, read_extract

from .conftest import write_csv_tables

NL_PATIENT = """
patient_id,site,region,birth_date,sex,diagnosis_date,isotype,ecog,comorbidities,contraindications,intolerances,transplant_eligible
nl1,nl-1,NL,1961-03-14,female,2023-12-01,IgG kappa,1,hypertension,none,none,true
"""
NL_HISTORY = """
patient_id,regimen,start,end,setting,best_response,stop_reason,cycles
nl1,VTd,2024-01-08,2024-04-20,induction,VGPR,completed,4
nl1,lenalidomide,2024-09-10,2026-10-01,maintenance,VGPR,progression,
nl1,{regimen},2026-10-20,,salvage,,,
"""
NL_EVENTS = {
    "procedures": "patient_id,type,date,best_response_after,response_date\n"
    "nl1,stem_cell_collection,2024-05-10,,\n"
    "nl1,autologous_sct,2024-06-10,VGPR,2024-09-01\n",
    "progressions": "patient_id,date,type,features\nnl1,2026-10-01,clinical,anemia\n",
    "cytogenetics": "patient_id,date,method,del_17p,t_4_14,t_14_16,gain_1q,del_1p\n"
    "nl1,2023-12-01,FISH,false,false,false,false,false\n",
}


def _nl_relapse(tmp_path: Path, regimen: str, decisions: str | None = None) -> pl.DataFrame:
    tables = {
        "patients": NL_PATIENT,
        "treatments": NL_HISTORY.format(regimen=regimen),
        **NL_EVENTS,
    }
    if decisions:
        tables["decisions"] = decisions
    extract = read_extract(write_csv_tables(tmp_path / regimen, tables))
    assert extract.errors == [] and extract.unknown_codes == []
    rows = ReferenceBackend().evaluate(extract, "nl-rrmm").rows
    return rows.filter(pl.col("line") == 2)


def test_relapse_on_lenalidomide_dvd_is_on_pathway(tmp_path: Path) -> None:
    """nl-rrmm, "Recidief tijdens behandeling met lenalidomide (lenalidomide refractair)":
    "Indien niet eerder behandeld met daratumumab ...: Daratumumab - bortezomib -
    dexamethason" — DVd, daratumumab-naive, relapse on lenalidomide maintenance."""
    row = _nl_relapse(tmp_path, "DVd").row(0, named=True)
    assert row["classification"] == "on_pathway"
    assert row["tier"] == "preferred" and row["option"] == "DVd"
    assert row["node"] == "len-refractory-dara-naive-or-sensitive"
    assert row["action"] == "DVd" and row["decision_date"].isoformat() == "2026-10-20"


def test_relapse_on_lenalidomide_krd_is_off_pathway(tmp_path: Path) -> None:
    """KRd (carfilzomib - lenalidomide - dexamethason) is listed only for relapse after
    bortezomib when *not* lenalidomide-refractory; here the patient is refractory."""
    row = _nl_relapse(tmp_path, "KRd").row(0, named=True)
    assert row["classification"] == "off_pathway"
    assert row["detail"] == "not among the guideline's options for this patient"


def test_excluded_regimen_is_off_pathway_with_the_guideline_reason(tmp_path: Path) -> None:
    """ "De combinaties daratumumab - carfilzomib - dexamethason en isatuximab - carfilzomib -
    dexamethason zijn nog niet registreerd / vergoed in Nederland." — DKd is excluded."""
    decisions = (
        "patient_id,date,regimen,pathway,reason,reason_text\n"
        "nl1,2026-10-20,DKd,off,clinical_trial,enrolled in a trial\n"
    )
    row = _nl_relapse(tmp_path, "DKd", decisions).row(0, named=True)
    assert row["classification"] == "off_pathway"
    assert row["detail"].startswith("excluded: ") and "Netherlands" in row["detail"]
    assert row["recorded_pathway"] == "off" and row["recorded_reason"] == "clinical_trial"
    assert row["recorded_reason_text"] == "enrolled in a trial"


def test_first_line_is_not_covered_by_a_relapse_guideline(tmp_path: Path) -> None:
    extract = read_extract(
        write_csv_tables(
            tmp_path / "x",
            {"patients": NL_PATIENT, "treatments": NL_HISTORY.format(regimen="DVd"), **NL_EVENTS},
        )
    )
    rows = ReferenceBackend().evaluate(extract, "nl-rrmm").rows
    first = rows.filter(pl.col("line") == 1).row(0, named=True)
    assert first["classification"] == "not_covered"
    assert first["detail"].startswith("guideline not applicable")
    assert rows.filter(pl.col("event") == "phase").is_empty()  # phases: pathway packs only


DK_PATIENT = """
patient_id,site,region,birth_date,sex,diagnosis_date,isotype,ecog,comorbidities,contraindications,intolerances,transplant_eligible,weight_kg,height_cm
dk1,dk-1,DK,1965-05-01,male,2024-01-10,IgG kappa,0,none,none,none,,80,180
dk2,dk-1,DK,1960-05-01,male,2024-01-10,IgG kappa,,,none,,,80,180
"""
DK_TREATMENTS = """
patient_id,regimen,start,end,setting,best_response,best_response_date,stop_reason,cycles
dk1,D-VRd,2024-02-01,2024-05-20,induction,VGPR,2024-05-20,completed,4
dk1,lenalidomide,2024-11-01,,maintenance,,,,
dk2,D-VRd,2024-02-01,2024-05-20,induction,VGPR,2024-05-20,completed,4
"""
DK_EVENTS = {
    # an empty table: checked, no progression (an absent table would be "not recorded")
    "progressions": "patient_id,date,type,features\n",
    "procedures": "patient_id,type,date,best_response_after,response_date\n"
    "dk1,stem_cell_collection,2024-06-15,,\n"
    "dk1,autologous_sct,2024-07-20,CR,2024-10-25\n",
    "cytogenetics": "patient_id,date,method,del_17p,del_17p_fraction,t_4_14,t_14_16,t_14_20,gain_1q,amp_1q,del_1p,del_1p_biallelic,tp53_mutation\n"
    "dk1,2024-01-12,FISH,false,0,false,false,false,false,false,false,false,false\n",
    "labs": "patient_id,date,test,value,unit\n"
    "dk1,2024-01-10,creatinine,80,µmol/L\n"
    "dk1,2024-01-10,beta2_microglobulin,2.5,mg/L\n"
    "dk1,2024-07-10,creatinine,85,µmol/L\n",
}


def test_danish_pathway_phases(tmp_path: Path) -> None:
    """dk-ndmm-te: induction D-VRd (recommendation 6, "firstofs-induktionsbehandling med
    CD38-antistof ..."), leukapheresis after cyclophosphamide priming (recommendation 3),
    HDT/ASCT (recommendation 4), lenalidomide maintenance (recommendation 5)."""
    extract = read_extract(
        write_csv_tables(
            tmp_path / "dk", {"patients": DK_PATIENT, "treatments": DK_TREATMENTS, **DK_EVENTS}
        )
    )
    assert extract.errors == [] and extract.unknown_codes == []
    rows = ReferenceBackend().evaluate(extract, "dk-ndmm-te").rows
    dk1 = {r["phase"]: r for r in rows.filter(pl.col("patient_id") == "dk1").iter_rows(named=True)}
    assert set(dk1) == {"induction", "mobilisation", "transplant", "maintenance"}
    # circulating plasma cells were not measured, so the DMSG high-risk additions leave
    # high_risk_dk unknown: D-VRd is recommended at "alternative" now, "preferred if not
    # high risk" (tier_if; docs/pack-format.md, review/dk-ndmm-te/108)
    assert (dk1["induction"]["classification"], dk1["induction"]["tier"]) == (
        "on_pathway",
        "alternative",
    )
    assert dk1["mobilisation"]["option"] == "stem_cell_mobilisation"
    assert dk1["mobilisation"]["classification"] == "on_pathway"
    assert (dk1["transplant"]["option"], dk1["transplant"]["classification"]) == (
        "high_dose_melphalan",
        "on_pathway",
    )
    assert (dk1["maintenance"]["option"], dk1["maintenance"]["classification"]) == (
        "lenalidomide",
        "on_pathway",
    )


def test_unknown_eligibility_leaves_the_decision_undetermined(tmp_path: Path) -> None:
    """dk2: age 63, ECOG and comorbidities not recorded — the pack's eligibility (biological
    age ≤ 70, PS < 2, no significant comorbidity) cannot be settled."""
    extract = read_extract(
        write_csv_tables(
            tmp_path / "dk", {"patients": DK_PATIENT, "treatments": DK_TREATMENTS, **DK_EVENTS}
        )
    )
    rows = ReferenceBackend().evaluate(extract, "dk-ndmm-te").rows
    dk2 = rows.filter(pl.col("patient_id") == "dk2").row(0, named=True)
    assert dk2["classification"] == "undetermined"
    assert "transplant_eligible_dmsg" in dk2["unknown_facts"]
    assert "transplant_eligible_dmsg" in dk2["missing_facts"]


def test_differences_between_backends_are_found() -> None:
    from datetime import date

    from mmpath.cohort.backend import ROW_SCHEMA, differences

    row = {name: None for name in ROW_SCHEMA} | {
        "patient_id": "p",
        "decision_date": date(2024, 1, 1),
        "event": "line_start",
        "action": "DVd",
        "guideline": "nl-rrmm",
        "classification": "on_pathway",
        "unknown_facts": [],
        "missing_facts": ["frail"],
    }
    left = pl.DataFrame([row], schema=ROW_SCHEMA)
    assert differences(left, left).is_empty()
    changed = pl.DataFrame([row | {"classification": "off_pathway"}], schema=ROW_SCHEMA)
    assert differences(left, changed).height == 1
    facts = pl.DataFrame([row | {"missing_facts": []}], schema=ROW_SCHEMA)
    assert differences(left, facts).height == 1
    assert differences(left, left.clear()).height == 1


def test_a_regimen_matches_an_option_with_or_without_its_steroid() -> None:
    """nl-rrmm, third line: "Pomalidomide" — the clinic gives pomalidomide with
    dexamethasone, and a registry writes it so (review r91-11: Pd was off pathway). The exact
    drug set wins where both are listed; a steroid alone matches no option."""
    from datetime import date
    from types import SimpleNamespace

    from mmpath.cohort.classify import classify
    from mmpath.cohort.decisions import DecisionPoint

    def option(oid: str, drugs: list[str], tier: str) -> SimpleNamespace:
        return SimpleNamespace(
            id=oid,
            kind="regimen",
            drugs=drugs,
            tier=tier,
            status="recommended",
            requires=[],
            rules=["third-line"],
            phase=None,
        )

    def result(*options: SimpleNamespace) -> SimpleNamespace:
        return SimpleNamespace(
            applicable=True,
            applicability="",
            pathway=None,
            options=list(options),
            excluded=[],
            missing=[],
        )

    def point(*drugs: str) -> DecisionPoint:
        return DecisionPoint(date(2025, 8, 4), "line_start", 3, None, tuple(sorted(drugs)))

    pom = option("pomalidomide", ["pomalidomide"], "alternative")
    pd = point("pomalidomide", "dexamethasone")
    assert classify(pd, result(pom)).option == "pomalidomide"
    assert classify(pd, result(pom)).classification == "on_pathway"
    exact = option("Pd", ["pomalidomide", "dexamethasone"], "preferred")
    assert classify(pd, result(pom, exact)).option == "Pd"
    assert classify(point("pomalidomide"), result(exact)).option == "Pd"
    assert classify(point("dexamethasone"), result(pom)).classification == "off_pathway"


def _dk_extract(tmp_path: Path, procedures: str) -> Extract:
    events = {**DK_EVENTS, "procedures": DK_EVENTS["procedures"] + procedures}
    extract = read_extract(
        write_csv_tables(
            tmp_path / "dk-tandem",
            {"patients": DK_PATIENT, "treatments": DK_TREATMENTS, **events},
        )
    )
    assert extract.errors == []
    return extract


def test_a_phase_the_pathway_gives_no_option_for_is_off_pathway(tmp_path: Path) -> None:
    """dk-ndmm-te, recommendation 9: "Tandem transplantation kan overvejes til patienter, der
    har haft gavn af den første HDT, men ikke har opnået CR" — dk1 reached CR after the first
    ASCT (known 2024-10-25), so a second ASCT is not what the guideline gives: off pathway,
    not "not covered" (review r92-07). Both backends agree."""
    from mmpath.cohort.compiled.backend import CompiledBackend

    extract = _dk_extract(tmp_path, "dk1,autologous_sct,2024-10-28,,\n")
    reference = ReferenceBackend().evaluate(extract, "dk-ndmm-te").rows
    tandem = reference.filter(pl.col("decision_date") == pl.date(2024, 10, 28)).row(0, named=True)
    assert (tandem["phase"], tandem["classification"]) == ("transplant", "off_pathway")
    assert tandem["detail"] == "the guideline gives no transplant option for this patient"
    compiled = CompiledBackend().evaluate(extract, "dk-ndmm-te").rows
    assert differences(reference, compiled).height == 0


def test_a_first_course_numbered_line_three_leaves_the_history_unknown(tmp_path: Path) -> None:
    """A referred patient: the registry holds only the third line (numbered so) — the earlier
    lines are unknown, not absent, so whether nl-rrmm (relapsed or refractory myeloma)
    applies cannot be told (review r95-12: it said "not applicable"). Both backends agree."""
    from mmpath.cohort.compiled.backend import CompiledBackend

    tables = {
        "patients": NL_PATIENT,
        "treatments": "patient_id,regimen,start,line\nnl1,Isa-Pd,2025-02-03,3\n",
        "progressions": "patient_id,date,type,features\nnl1,2025-01-13,clinical,anemia\n",
    }
    extract = read_extract(write_csv_tables(tmp_path / "referred", tables))
    assert extract.errors == []
    reference = ReferenceBackend().evaluate(extract, "nl-rrmm").rows
    row = reference.row(0, named=True)
    assert (row["line"], row["classification"]) == (3, "undetermined")
    compiled = CompiledBackend().evaluate(extract, "nl-rrmm").rows
    assert differences(reference, compiled).height == 0
