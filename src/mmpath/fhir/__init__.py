"""FHIR R4 / mCODE import: a Bundle or NDJSON -> patient record v1 + import report.

See docs/fhir.md for the mapping table and ``importer`` for the entry points.
"""

from mmpath.fhir.importer import ImportResult, import_bundle, import_fhir
from mmpath.fhir.read import FhirInputError
from mmpath.fhir.report import ImportReport

__all__ = ["FhirInputError", "ImportReport", "ImportResult", "import_bundle", "import_fhir"]
