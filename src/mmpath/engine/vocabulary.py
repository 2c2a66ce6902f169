"""Names of the non-regimen options packs may offer (recommendation-v1 codes)."""

from __future__ import annotations

PROCEDURES = {
    "autologous_sct": "autologous stem-cell transplantation (ASCT)",
    "tandem_autologous_sct": "tandem (second) autologous stem-cell transplantation",
    "allogeneic_sct": "allogeneic stem-cell transplantation",
    "stem_cell_mobilisation": "stem-cell mobilisation and collection",
    "high_dose_melphalan": "high-dose melphalan with autologous stem-cell support (HDT/ASCT)",
    "mrd_assessment": "MRD assessment",
}
REFERRALS = {"clinical_trial": "treatment within a clinical trial"}
OBSERVATION = {"watch_and_wait": "watch and wait with regular follow-up"}
SUPPORTIVE = {
    "thromboprophylaxis": "thromboprophylaxis for the whole duration of IMiD treatment",
    "rehabilitation": "rehabilitation after high-dose therapy",
}
NAMES = {
    "procedure": PROCEDURES,
    "referral": REFERRALS,
    "observation": OBSERVATION,
    "supportive": SUPPORTIVE,
}
