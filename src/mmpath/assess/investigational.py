"""Investigational drugs in the treatment history: courses mmpath counts but cannot classify.

A drug known only by its trial code is recorded as ``investigational:<code>``
(``catalogue.INVESTIGATIONAL``; docs/record-validation.md). Such a course is a course like
any other: it counts toward lines of therapy (IMWG consensus, clinical-definitions.md,
"Lines of therapy"), and refractoriness to the drug itself follows the IMWG definition. Its
drug class is unknown to mmpath, so it is counted in no class's exposure or refractoriness
("refractory to an IMiD" cannot know that a cereblon modulator under trial code is one).
The class-level facts therefore carry a warning naming the course, so the clinician can
decide (and assert the class fact where the trial drug belongs to the class).
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.catalogue.catalogue import investigational


def class_warnings(a: Assessment) -> list[str]:
    """One warning per course with an investigational drug (for the class-level facts;
    computed once per assessment)."""
    found: list[str] | None = a.memo.get(("investigational", ""))
    if found is None:
        found = a.memo[("investigational", "")] = _warnings(a)
    return list(found)


def _warnings(a: Assessment) -> list[str]:
    return [
        f"{course.label()} includes the investigational drug "
        f"{inn.removeprefix('investigational:')}, whose drug class mmpath does not know: it is "
        "not counted in any class's exposure or refractoriness — check, and assert the fact "
        "if the drug belongs to the class"
        for course in a.courses
        for inn in dict.fromkeys(course.drugs)
        if investigational(inn) == inn
    ]
