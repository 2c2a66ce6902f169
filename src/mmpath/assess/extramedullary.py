"""Extramedullary disease (EMD): now vs an earlier episode; paraosseous vs extraosseous.

The record's ``extramedullary`` field describes the disease **now** (patient-record-v1:
``none``, ``paraosseous``, ``extraosseous``; "extraosseous is 'true' EMD"). Seed 003
(section 4): "Extraossøs EMD opstår i viscerale organer og bløddelsvæv via hæmatogen
spredning" — extraosseous EMD arises in visceral organs and soft tissue by haematogenous
spread; paraosseous disease is soft-tissue extension from bone. A progression recorded with
the feature ``extramedullary`` is EMD at that progression:

- ``extramedullary_disease`` — EMD now: the record's field; without it, the current
  progression (the latest since the latest line started) having the feature. The field
  wins over the progression (it states the present; a resolved plasmacytoma is ``none``).
- ``prior_extramedullary_disease`` — an earlier episode: a progression other than the
  current one with the feature (whatever the present state); "no" needs the features of
  every earlier progression recorded.
- ``paraosseous_extramedullary_disease`` / ``extraosseous_extramedullary_disease`` — the
  kind, now (from the field; a progression feature does not say which kind).
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.disease_status import current_event
from mmpath.assess.fact import Value, fact


def _field_conflict(a: Assessment) -> list[str]:
    event = current_event(a)
    if (
        a.record.extramedullary == "none"
        and event is not None
        and "extramedullary" in event.features
    ):
        return [
            f"extramedullary is 'none' but the current progression ({event.date}) lists "
            "extramedullary disease; the field (the present) is used"
        ]
    return []


@fact(
    "extramedullary_disease",
    definition="extramedullary (soft-tissue) disease now, paraosseous or extraosseous: the "
    "record's extramedullary field, or else the current progression's feature; an earlier, "
    "resolved episode is prior_extramedullary_disease",
    needs=("extramedullary", "progressions"),
    warnings=_field_conflict,
)
def extramedullary_disease(a: Assessment) -> tuple[Value, str]:
    emd = a.record.extramedullary
    if emd in {"paraosseous", "extraosseous"}:
        return True, f"extramedullary now: {emd}"
    if emd == "none":
        return False, "extramedullary now: none"
    event = current_event(a)
    if event is not None and "extramedullary" in event.features:
        return True, f"current progression on {event.date} with extramedullary disease"
    return None, "extramedullary disease now not recorded (field extramedullary)"


@fact(
    "prior_extramedullary_disease",
    definition="an earlier episode of extramedullary disease: a progression before the current "
    "one recorded with the feature extramedullary",
    needs=("progressions",),
)
def prior_extramedullary_disease(a: Assessment) -> tuple[Value, str]:
    current = current_event(a)
    others = [e for e in a.progression_events if e is not current]
    earlier = [e for e in others if "extramedullary" in e.features]
    if earlier:
        return True, f"progression on {earlier[-1].date} with extramedullary disease"
    if current is not None and a.record.treatments is None and "extramedullary" in current.features:
        return None, (
            f"progression on {current.date} with extramedullary disease, but treatments are not "
            "recorded: whether a line of therapy has started since (making it an earlier "
            "episode) is unknown"
        )
    if not a.progressions_recorded:
        return None, "progressions not recorded"
    listed = {
        f"progressions[{i}]": p.features is not None
        for i, p in enumerate(a.record.progressions or [])
    }
    unknown = [e for e in others if not listed.get(e.source, False)]
    if unknown:
        where = ", ".join(f"{e.date} ({e.source})" for e in unknown)
        return None, f"features not recorded for the progression(s) of {where}"
    return False, "no earlier progression with extramedullary disease recorded"


@fact(
    "extraosseous_extramedullary_disease",
    definition="'true' extramedullary disease now: extraosseous soft-tissue plasmacytoma "
    "(visceral organs, soft tissue), not paraosseous extension from bone",
    needs=("extramedullary",),
)
def extraosseous_extramedullary_disease(a: Assessment) -> tuple[Value, str]:
    emd = a.record.extramedullary
    if emd is None:
        return None, "extramedullary disease now not recorded (field extramedullary)"
    return emd == "extraosseous", f"extramedullary now: {emd}"


@fact(
    "paraosseous_extramedullary_disease",
    definition="paraosseous extramedullary disease now: soft-tissue extension from bone",
    needs=("extramedullary",),
)
def paraosseous_extramedullary_disease(a: Assessment) -> tuple[Value, str]:
    emd = a.record.extramedullary
    if emd is None:
        return None, "extramedullary disease now not recorded (field extramedullary)"
    return emd == "paraosseous", f"extramedullary now: {emd}"
