"""The codes FHIR import reads, by code system (the mapping table of docs/fhir.md).

Only codes mmpath can vouch for are listed. Each group names where it comes from:
[mCODE] the HL7 mCODE IG (HL7/fhir-mCODE-ig, STU4 sources: value sets and examples);
[CDS] the HL7 CDS Hooks IG; [lab catalogue] a published laboratory test catalogue that
lists the LOINC code; [R] recalled from the terminology, not checked against a release
here — verify before clinical use. A resource whose code is not listed is reported as
``unknown_code``, never guessed; drugs and regimens are resolved through the catalogue
(``mmpath.catalogue``) by code *and* by name, and a code that disagrees with its own
display name is refused as ``ambiguous``.
"""

from __future__ import annotations

from typing import Final

LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
ICD10: Final = "http://hl7.org/fhir/sid/icd-10"
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC: Final = "http://www.whocc.no/atc"
NCIT: Final = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
UCUM: Final = "http://unitsofmeasure.org"
HGNC: Final = "http://www.genenames.org"

SYSTEM_NAMES: Final = {
    LOINC: "LOINC",
    SNOMED: "SNOMED CT",
    ICD10: "ICD-10",
    ICD10CM: "ICD-10-CM",
    RXNORM: "RxNorm",
    ATC: "ATC",
    NCIT: "NCIt",
    UCUM: "UCUM",
    HGNC: "HGNC",
}
ICD10_SYSTEMS: Final = (ICD10, ICD10CM)

# -- diagnosis (Condition.code) ---------------------------------------------------------
# ICD-10 C90.0 multiple myeloma, C90.1 plasma cell leukaemia (WHO ICD-10; the ICD-10-CM
# five-character codes C90.00/.01/.02, C90.10/.11/.12 are listed in mCODE's
# CancerDisorderVS); SNOMED CT 109989006 |Multiple myeloma (disorder)| (issue 13).
MYELOMA_ICD10: Final = ("C90.0",)  # matched as a prefix: C90.0, C90.00, C90.01, C90.02
PCL_ICD10: Final = ("C90.1",)  # C90.1, C90.10, C90.11, C90.12
MYELOMA_SNOMED: Final = frozenset({"109989006"})

# -- comorbidities (Condition.code) -> record vocabulary ---------------------------------
# ICD-10 (WHO) three-character categories, matched as prefixes of the code.
COMORBIDITY_ICD10: Final[dict[str, tuple[str, ...]]] = {
    "heart_failure": ("I50",),
    "ischemic_heart_disease": ("I20", "I21", "I22", "I23", "I24", "I25"),
    "arrhythmia": ("I47", "I48", "I49"),
    "hypertension": ("I10", "I11", "I12", "I13", "I15"),
    "copd": ("J44",),
    "asthma": ("J45", "J46"),
    "peripheral_neuropathy": ("G60", "G61", "G62", "G63", "G64"),
    "diabetes": ("E10", "E11", "E12", "E13", "E14"),
    "renal_impairment": ("N18.3", "N18.4", "N18.5", "N18.6"),  # CKD stage 3-5 / end stage
    "dialysis": ("Z99.2",),
    "liver_impairment": ("K72", "K74"),  # hepatic failure; fibrosis and cirrhosis
    "venous_thromboembolism": ("I26", "I80", "I82"),
    "hbv": ("B16", "B18.0", "B18.1"),
    "hiv": ("B20", "B21", "B22", "B23", "B24", "Z21"),
    "dementia": ("F00", "F01", "F02", "F03", "G30"),
}
#: Other malignancies: ICD-10 C00-C76 (solid primaries), C81-C89 and C91-C96 (other
#: haematological). C77-C80 (secondary / unspecified site) and C97 are not listed.
OTHER_MALIGNANCY_ICD10: Final = tuple(
    [f"C{n:02d}" for n in range(0, 77)]
    + [f"C{n}" for n in range(81, 90)]
    + [f"C{n}" for n in range(91, 97)]
)
# SNOMED CT disorders [R], matched exactly (no subsumption: no terminology server).
COMORBIDITY_SNOMED: Final[dict[str, str]] = {
    "84114007": "heart_failure",
    "414545008": "ischemic_heart_disease",
    "698247007": "arrhythmia",
    "38341003": "hypertension",
    "13645005": "copd",
    "195967001": "asthma",
    "302226006": "peripheral_neuropathy",
    "73211009": "diabetes",
    "709044004": "renal_impairment",
    "429098002": "venous_thromboembolism",
    "66071002": "hbv",
    "86406008": "hiv",
    "52448006": "dementia",
}

# -- observations (LOINC) -----------------------------------------------------------------
LAB_LOINC: Final[dict[str, str]] = {
    "33358-3": "serum_m_protein",  # Protein.monoclonal, serum/plasma, electrophoresis [lab catalogue]
    "36916-5": "flc_kappa",  # Kappa light chains.free, serum [R]
    "33944-0": "flc_lambda",  # Lambda light chains.free, serum [R]
    "1952-1": "beta2_microglobulin",  # [R]
    "1751-7": "albumin",  # Albumin, serum/plasma, mass/volume [R]
    "2532-0": "ldh",  # Lactate dehydrogenase, serum/plasma [R]
    "14804-9": "ldh",  # Lactate dehydrogenase, lactate to pyruvate reaction [R]
    "2160-0": "creatinine",  # mass/volume [R]
    "14682-9": "creatinine",  # moles/volume [R]
    "2164-2": "creatinine_clearance",  # Creatinine renal clearance, 24 h urine [R]
    "17861-6": "calcium",  # mass/volume [R]
    "2000-8": "calcium",  # moles/volume [R]
    "718-7": "hemoglobin",  # mass/volume [R]
    "59260-0": "hemoglobin",  # moles/volume [R]
}
#: Tests of the record for which no LOINC code is shipped (none verified here): such
#: observations are reported as unknown codes; docs/fhir.md says so.
LAB_WITHOUT_CODE: Final = (
    "urine_m_protein",
    "circulating_plasma_cells",
    "bone_marrow_plasma_cells",
)

ECOG_LOINC: Final = "89247-1"  # ECOG Performance Status score [mCODE ECOGPerformanceStatus]
#: LOINC answer list for ECOG (LA9622-7 = 0 is in mCODE's example; the others [R]).
ECOG_ANSWERS: Final[dict[str, int]] = {
    "LA9622-7": 0,
    "LA9623-5": 1,
    "LA9624-3": 2,
    "LA9625-0": 3,
    "LA9626-8": 4,
}
WEIGHT_LOINC: Final = "29463-7"  # Body weight (FHIR vital-signs profile)
HEIGHT_LOINC: Final = "8302-2"  # Body height (FHIR vital-signs profile)

MMPATH_OBSERVATION: Final = "https://mmpath.org/fhir/CodeSystem/observation"
"""mmpath's own observation codes: FHIR and mCODE have none for a course's best response."""
BEST_RESPONSE: Final = "best-response"
IMWG_RESPONSE: Final = "https://mmpath.org/fhir/CodeSystem/imwg-response"
"""The IMWG response categories as the record spells them (sCR CR VGPR PR MR SD PD)."""

DISEASE_STATUS_LOINC: Final = "97509-4"  # Cancer disease progression [mCODE CancerDiseaseStatus]
WORSENED: Final = "271299001"  # Patient's condition worsened (finding) [mCODE]
DISEASE_STATUS_OTHER: Final[dict[str, str]] = {
    "268910001": "improved",
    "359746009": "stable",
    "709137006": "undetermined",
    "550991000124107": "in full remission",
    "551001000124108": "in partial remission",
    "103338009": "in full remission",
    "103337004": "in partial remission",
}
#: mCODE CancerDiseaseStatus ``evidenceType`` values that make a progression clinical
#: (imaging, symptoms, examination) or biochemical (laboratory data only) [mCODE STU1 VS, R].
EVIDENCE_CLINICAL: Final = frozenset({"363679005", "711015009", "5880005"})
EVIDENCE_BIOCHEMICAL: Final = frozenset({"386344002"})
EVIDENCE_EXTENSION: Final = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status-evidence-type"
)

# Myeloma stage [mCODE MyelomaISSStage / MyelomaRISSStage, NCIt codes].
ISS_CODE: Final = "C139007"
RISS_CODE: Final = "C141392"
ISS_VALUES: Final[dict[str, int]] = {"C70658": 1, "C70659": 2, "C70660": 3}
RISS_VALUES: Final[dict[str, int]] = {"C141394": 1, "C141395": 2, "C141396": 3}

# Genomics [mCODE GenomicVariant; LOINC answers LA9633-4 Present, LA9634-2 Absent].
VARIANT_LOINC: Final = "69548-6"  # Genetic variant assessment
PRESENT: Final = "LA9633-4"
ABSENT: Final = "LA9634-2"
TP53_HGNC: Final = frozenset({"HGNC:11998", "11998"})  # TP53 (mCODE example: HGNC#11998)

# -- procedures (SNOMED CT) ---------------------------------------------------------------
#: Stem-cell transplantation codes that do not say autologous or allogeneic: the type is
#: read from the text (and reported as a guess) or the procedure is ``ambiguous``.
#: 1269349006 |Transplantation of stem cell| and 278257006 |Peripheral blood stem cell
#: transplantation| (SNOMED CT browser pages).
HSCT_SNOMED: Final = frozenset({"1269349006", "278257006"})
RADIOTHERAPY_SNOMED: Final = frozenset({"1217123003", "108290001"})  # [mCODE radiotherapy; R]

# -- medications ----------------------------------------------------------------------------
#: ATC (WHO) -> INN [R]; old and new codes after the 2022 L01 revision where both exist.
ATC_DRUGS: Final[dict[str, str]] = {
    "L04AX02": "thalidomide",
    "L04AX04": "lenalidomide",
    "L04AX06": "pomalidomide",
    "L01XG01": "bortezomib",
    "L01XX32": "bortezomib",
    "L01XG02": "carfilzomib",
    "L01XX45": "carfilzomib",
    "L01XG03": "ixazomib",
    "L01XX50": "ixazomib",
    "L01FC01": "daratumumab",
    "L01XC24": "daratumumab",
    "L01FC02": "isatuximab",
    "L01XC23": "elotuzumab",
    "L01XH03": "panobinostat",
    "L01XX42": "panobinostat",
    "L01XX52": "venetoclax",
    "H02AB02": "dexamethasone",
    "H02AB06": "prednisolone",
    "H02AB07": "prednisone",
    "L01AA01": "cyclophosphamide",
    "L01AA03": "melphalan",
    "L01AA09": "bendamustine",
    "L01AD01": "carmustine",
    "L01DB01": "doxorubicin",
    "L01XA01": "cisplatin",
    "L01CB01": "etoposide",
    "L01BC01": "cytarabine",
}
#: RxNorm ingredient RXCUI -> INN [R].
RXNORM_DRUGS: Final[dict[str, str]] = {
    "10432": "thalidomide",
    "342369": "lenalidomide",
    "1369713": "pomalidomide",
    "358258": "bortezomib",
    "1302966": "carfilzomib",
    "1723735": "ixazomib",
    "1789941": "daratumumab",
    "1747556": "venetoclax",
    "3264": "dexamethasone",
    "8638": "prednisolone",
    "8640": "prednisone",
    "3002": "cyclophosphamide",
    "6718": "melphalan",
    "134547": "bendamustine",
    "3639": "doxorubicin",
    "2555": "cisplatin",
    "4179": "etoposide",
    "3041": "cytarabine",
}
DRUG_CODES: Final[dict[str, dict[str, str]]] = {ATC: ATC_DRUGS, RXNORM: RXNORM_DRUGS}

#: mCODE TreatmentTerminationReasonVS (SNOMED CT) -> record ``stop_reason``.
#: "No response to treatment" is not progression (it may be stable disease): ``other``.
STOP_REASONS: Final[dict[str, str]] = {
    "407563006": "toxicity",  # Treatment not tolerated
    "105480006": "patient_choice",  # Refusal of treatment by patient
    "266721009": "other",  # No response to treatment
    "160932005": "other",  # Financial problem
    "184081006": "other",  # Patient has moved away
    "309846006": "other",  # Treatment not available
    "399307001": "other",  # Lost to follow-up
    "419620001": "other",  # Death
    "7058009": "other",  # Noncompliance with treatment
    "443729008": "other",  # Completion of clinical trial
    "77386006": "other",  # Pregnancy
}

# -- completeness ---------------------------------------------------------------------------
#: A FHIR ``List`` with ``emptyReason`` = nilknown and one of these LOINC codes says the
#: patient has none: the record gets ``[]`` ("checked, none") instead of unknown.
NIL_KNOWN: Final = "nilknown"  # http://terminology.hl7.org/CodeSystem/list-empty-reason
LIST_CODES: Final[dict[str, str]] = {
    "10160-0": "treatments",  # History of Medication use Narrative [R]
    "47519-4": "procedures",  # History of Procedures Document [R]
    "11450-4": "comorbidities",  # Problem list - Reported [R]
}
