"""Facts about a patient, derived from the record (three-valued, each with its source).

Importing this package registers every fact; one module per clinical concept.
"""

from mmpath.assess import (  # noqa: F401  (imported to register their facts)
    aggressive,
    asct_remission,
    clinician_judgement,
    cytogenetics,
    defined,
    disease_status,
    extramedullary,
    first_line,
    first_relapse_treatment,
    frailty,
    kidney,
    lenalidomide,
    lines,
    mrd,
    paraprotein_pace,
    patient,
    plasma_cell_leukemia,
    refractoriness,
    response,
    risk_dmsg,
    risk_imwg2025,
    translocation,
    transplant,
)
from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import FACTS, Fact, FactSpec

defined.register_shipped()  # YAML definitions read the Python facts registered above

__all__ = ["FACTS", "Assessment", "Fact", "FactSpec"]
