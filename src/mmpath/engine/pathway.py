"""The phased plan of a pathway pack (first-line, transplant-eligible): where the patient is.

A pathway pack lists its ``phases`` in order; the fact :data:`PATHWAY_FACT` (a string: a
phase name, or ``none`` before any treatment) says which phase the patient is in or due
for. Each phase then gets a status:

- ``current``: the patient's phase; also an earlier phase in which the guideline still
  recommends an option for this patient (it runs alongside, e.g. rehabilitation after HDT);
- ``done``: an earlier phase with nothing more recommended (conditional options are named
  in its reason);
- ``upcoming``: a later phase with options (recommended or conditional);
- ``not_applicable``: a later phase with no option for this patient.

Options of the current phases are marked ``current_step``; when the current phase itself
offers nothing (e.g. induction under way), the options of the next phase with options are.
"""

from __future__ import annotations

from mmpath.assess import Assessment
from mmpath.engine.pack import Pack
from mmpath.recommendation import OptionOut, PathwayStepOut

PATHWAY_FACT = "pathway_phase"
NOT_STARTED = "none"


def _summary(options: list[OptionOut]) -> str:
    parts = []
    for option in options:
        if option.status == "recommended":
            parts.append(option.id)
        else:
            parts.append(f"{option.id} (if {', '.join(option.requires) or 'settled'})")
    return ", ".join(parts)


def plan(
    pack: Pack, facts: Assessment, options: list[OptionOut], applicable: bool | None
) -> tuple[list[PathwayStepOut], list[OptionOut]]:
    """The pathway steps, and the options with ``current_step`` set."""
    by_phase: dict[str, list[OptionOut]] = {
        phase: [o for o in options if o.phase == phase] for phase in pack.phases
    }
    if applicable is False:
        why = "the guideline does not apply to this patient"
        return [PathwayStepOut(phase=p, status="not_applicable", why=why) for p in pack.phases], (
            options
        )
    position = facts.get(PATHWAY_FACT)
    current = position.value
    if current == NOT_STARTED and pack.phases:
        current = pack.phases[0]
    if not isinstance(current, str) or current not in pack.phases:
        why = f"position on the pathway unknown ({position.why})"
        steps = [
            PathwayStepOut(
                phase=p,
                status="upcoming" if by_phase[p] else "not_applicable",
                why=f"{why}; options: {_summary(by_phase[p])}" if by_phase[p] else why,
            )
            for p in pack.phases
        ]
        return steps, options
    index = pack.phases.index(current)
    steps = []
    for i, phase in enumerate(pack.phases):
        have = by_phase[phase]
        if i == index:
            steps.append(PathwayStepOut(phase=phase, status="current", why=position.why))
        elif i < index and any(o.status == "recommended" for o in have):
            steps.append(
                PathwayStepOut(
                    phase=phase,
                    status="current",
                    why=f"alongside the current phase; options: {_summary(have)}",
                )
            )
        elif i < index:
            pending = f"; still open if settled: {_summary(have)}" if have else ""
            steps.append(
                PathwayStepOut(phase=phase, status="done", why=f"passed: {position.why}{pending}")
            )
        elif have:
            steps.append(
                PathwayStepOut(phase=phase, status="upcoming", why=f"options: {_summary(have)}")
            )
        else:
            steps.append(
                PathwayStepOut(
                    phase=phase,
                    status="not_applicable",
                    why="the guideline offers no option in this phase for this patient",
                )
            )
    now = {s.phase for s in steps if s.status == "current" and by_phase[s.phase]}
    # an earlier phase that is "done" keeps its conditional options, but they are not the step
    done = {s.phase for s in steps if s.status == "done"}
    if not now:
        upcoming = [s.phase for s in steps if s.status == "upcoming"]
        now = set(upcoming[:1])
    marked = [
        o.model_copy(update={"current_step": o.phase in now and o.phase not in done})
        for o in options
    ]
    return steps, marked
