"""State shared by the mappers while one patient is imported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mmpath.catalogue import Catalogue, load_catalogue
from mmpath.fhir.read import Resource
from mmpath.fhir.report import ImportReport, Source
from mmpath.fhir.values import Day, day_of

#: Statuses that mean an Observation's value can be used.
FINAL_OBSERVATION = frozenset({"final", "amended", "corrected"})


@dataclass
class Context:
    report: ImportReport
    as_of: dt.date | None
    medications: dict[str, Resource]
    catalogue: Catalogue = field(default_factory=load_catalogue)
    #: record list fields the input says are complete (a List with emptyReason nilknown,
    #: or the caller's ``complete`` argument): empty means "none", not "unknown".
    complete: set[str] = field(default_factory=set)
    #: Condition keys (``Condition/id``, fullUrl) -> "myeloma" / "pcl" / other kind / None,
    #: so a medication given for another disease is recognised (``reasonReference``).
    condition_kinds: dict[str, str | None] = field(default_factory=dict)

    def day(self, field_path: str, source: Source, value: Any) -> Day | None:
        """A date from ``value``; a partial date is reported as a guess."""
        found = day_of(value)
        if found is not None and found.partial:
            self.report.guess(
                field_path, source, f"the source gives only {value}; taken as {found.date}"
            )
        return found

    def after_as_of(self, source: Source, day: dt.date) -> bool:
        """True (and reported) when ``day`` is after the decision date."""
        if self.as_of is not None and day > self.as_of:
            self.report.skip(source, "out_of_scope", f"dated {day}, after as_of {self.as_of}")
            return True
        return False
