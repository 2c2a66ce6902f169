"""Facts added for seeds 001 and 002: paraprotein pace, ASCT remission, first-relapse
regimens, t(11;14), clinician-only facts."""

from __future__ import annotations

from typing import Any

import pytest

from mmpath.assess import Assessment
from mmpath.assess.fact import Value
from mmpath.record.load import parse_record

VTD = {"regimen": "VTd", "setting": "induction", "start": "2021-01-11", "end": "2021-04-30"}


def value(name: str, **record: Any) -> Value:
    base = {"schema_version": "1", "as_of": "2026-11-01"}
    return Assessment(parse_record(base | record)).value(name)


def serum(*points: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"date": d, "test": "serum_m_protein", "value": v, "unit": "g/dL"} for d, v in points]


# -- paraprotein_rising_rapidly (IMWG significant biochemical relapse) ----------------------
@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        # doubling from 0.6 g/dL (6 g/L) within 45 days
        (serum(("2026-08-01", 0.6), ("2026-09-15", 1.3)), True),
        # doubling, but from 0.3 g/dL (< 5 g/L), and no rise of 10 g/L: not rapid
        (serum(("2026-06-01", 0.3), ("2026-07-15", 0.7), ("2026-09-01", 0.9)), False),
        # doubling over more than two months: not rapid by that criterion
        (serum(("2026-05-01", 0.6), ("2026-08-01", 1.3), ("2026-10-01", 1.35)), False),
        # +10 g/L above the lowest value in the last two measurements
        (serum(("2026-04-01", 1.0), ("2026-07-01", 2.1), ("2026-10-01", 2.3)), True),
        # +10 g/L only in the last measurement: not confirmed, so unknown until the next
        # one (it was "no", which offered watch and wait outright; review r59-06)
        (serum(("2026-04-01", 1.0), ("2026-07-01", 1.6), ("2026-10-01", 2.1)), None),
        # a rise that stays under the threshold in the latest measurement too: no
        (serum(("2026-04-01", 1.0), ("2026-07-01", 1.6), ("2026-10-01", 1.9)), False),
        # two measurements without doubling: too few to judge a rise
        (serum(("2026-07-01", 1.0), ("2026-10-01", 1.4)), None),
    ],
)
def test_serum_criteria(labs: list[dict[str, Any]], expected: Value) -> None:
    assert (
        value("paraprotein_rising_rapidly", treatments=[VTD], labs=labs, progressions=[])
        is expected
    )


def test_urine_rise() -> None:
    labs = [
        {"date": d, "test": "urine_m_protein", "value": v, "unit": "mg/24h"}
        for d, v in (("2026-04-01", 100), ("2026-07-01", 700), ("2026-10-01", 800))
    ]
    assert value("paraprotein_rising_rapidly", treatments=[VTD], labs=labs) is True


def test_urine_rise_in_the_latest_measurement_only_is_unknown() -> None:
    """Review r59-06: urine 40 -> 350 -> 950 mg/24 h in seven weeks was read as "not rapid"
    (watch and wait offered outright); the +910 mg waits for its confirming measurement."""
    labs = [
        {"date": d, "test": "urine_m_protein", "value": v, "unit": u}
        for d, v, u in (
            ("2026-06-15", 40, "mg/24h"),
            ("2026-08-17", 0.35, "g/24h"),
            ("2026-10-05", 0.95, "g/24h"),
        )
    ]
    facts = Assessment(
        parse_record(
            {"schema_version": "1", "as_of": "2026-11-01", "treatments": [VTD], "labs": labs}
        )
    )
    found = facts.get("paraprotein_rising_rapidly")
    assert found.value is None
    assert "40 to 950 mg/24h" in found.why and "repeat the measurement" in found.why


def test_flc_rise_needs_abnormal_ratio() -> None:
    def flc(kappa_last: float, lambda_last: float) -> list[dict[str, Any]]:
        points = (
            ("2026-04-01", 20, 15),
            ("2026-07-01", 250, 15),
            ("2026-10-01", kappa_last, lambda_last),
        )
        return [
            {"date": d, "test": t, "value": v, "unit": "mg/L"}
            for d, k, lam in points
            for t, v in (("flc_kappa", k), ("flc_lambda", lam))
        ]

    diagnosis = {"isotype": "light chain kappa"}
    abnormal = flc(300, 15)
    assert (
        value("paraprotein_rising_rapidly", treatments=[VTD], labs=abnormal, diagnosis=diagnosis)
        is True
    )
    # same rise with a normal ratio (300/200 = 1.5): the FLC criterion is not met
    normal = flc(300, 200)
    assert (
        value("paraprotein_rising_rapidly", treatments=[VTD], labs=normal, diagnosis=diagnosis)
        is False
    )
    # the confirmed rise without the other chain measured that day: the ratio is unknown
    no_lambda = [
        lab for lab in abnormal if not (lab["date"] == "2026-10-01" and lab["test"] == "flc_lambda")
    ]
    assert (
        value("paraprotein_rising_rapidly", treatments=[VTD], labs=no_lambda, diagnosis=diagnosis)
        is None
    )


def test_rapid_rise_feature_and_no_labs() -> None:
    event = [{"date": "2026-10-01", "type": "biochemical", "features": ["rapid_rise"]}]
    assert value("paraprotein_rising_rapidly", treatments=[VTD], progressions=event) is True
    assert value("paraprotein_rising_rapidly", treatments=[VTD], progressions=[]) is None


def test_only_measurements_since_the_latest_line_count() -> None:
    # the rise happened before the second line started; since then too few points
    labs = serum(("2023-01-01", 0.6), ("2023-02-01", 1.3), ("2026-09-01", 0.5))
    treatments = [VTD, {"regimen": "Kd", "start": "2023-03-01"}]
    progressions = [{"date": "2023-02-01", "type": "biochemical"}]
    assert (
        value(
            "paraprotein_rising_rapidly",
            treatments=treatments,
            labs=labs,
            progressions=progressions,
        )
        is None
    )


# -- remission_after_first_asct_3_years ------------------------------------------------------
@pytest.mark.parametrize(
    ("progression", "expected"),
    [("2024-06-14", True), ("2024-06-01", False), (None, True)],
)
def test_remission_after_first_asct(progression: str | None, expected: bool) -> None:
    progressions = [{"date": progression, "type": "clinical"}] if progression else []
    procedures = [{"type": "autologous_sct", "date": "2021-06-14"}]
    got = value(
        "remission_after_first_asct_3_years",
        treatments=[VTD],
        procedures=procedures,
        progressions=progressions,
    )
    assert got is expected


def test_remission_unknown_or_no_asct() -> None:
    assert value("remission_after_first_asct_3_years", treatments=[VTD]) is None
    assert value("remission_after_first_asct_3_years", treatments=[VTD], procedures=[]) is False


# -- regimens given at first relapse (line 2) -------------------------------------------------
def lines(second: str) -> dict[str, Any]:
    return {
        "treatments": [VTD, {"regimen": second, "setting": "salvage", "start": "2023-03-20"}],
        "progressions": [{"date": "2023-03-01", "type": "clinical"}],
    }


@pytest.mark.parametrize(
    ("second", "kd", "dvd", "rd_triplet"),
    [
        ("Kd", True, False, False),
        ("Dara-Vd", False, True, False),
        ("NRd", False, False, True),
        ("Elo-Rd", False, False, True),
        ("KRd", False, False, True),
        ("Rd", False, False, False),
        ("PVd", False, False, False),
    ],
)
def test_first_relapse_regimens(second: str, kd: bool, dvd: bool, rd_triplet: bool) -> None:
    record = lines(second)
    assert value("kd_at_first_relapse", **record) is kd
    assert value("dvd_at_first_relapse", **record) is dvd
    assert value("rd_triplet_at_first_relapse", **record) is rd_triplet


def test_first_relapse_not_yet_treated_or_unknown() -> None:
    assert value("kd_at_first_relapse", treatments=[VTD]) is False
    assert value("kd_at_first_relapse") is None


# -- t(11;14) and clinician-only facts ----------------------------------------------------------
def test_t_11_14() -> None:
    assert value("t_11_14", cytogenetics={"t_11_14": True}) is True
    assert value("t_11_14", cytogenetics={"t_11_14": False}) is False
    assert value("t_11_14", cytogenetics={"del_17p": False}) is None
    assert value("t_11_14") is None


@pytest.mark.parametrize("name", ["younger_patient", "chemosensitive_relapse"])
def test_clinician_only_facts(name: str) -> None:
    assert value(name, age=40) is None  # never derived, whatever the record says
    assert value(name, age=40, asserted={name: True}) is True
    assert value(name, age=40, asserted={name: False}) is False


def _slow_biochemical_relapse(**extra: Any) -> dict[str, Any]:
    """A relapse every item of seed 000's aggressive-relapse list rules out."""
    return {
        "cytogenetics": {
            "del_17p": False,
            "t_4_14": False,
            "t_14_16": False,
            "gain_1q": False,
            "amp_1q": False,
        },
        "extramedullary": "none",
        "labs": [
            {"date": "2026-03-02", "test": "serum_m_protein", "value": 0.3, "unit": "g/dL"},
            {"date": "2026-06-01", "test": "serum_m_protein", "value": 0.6, "unit": "g/dL"},
            {"date": "2026-07-06", "test": "serum_m_protein", "value": 0.8, "unit": "g/dL"},
            {"date": "2026-07-06", "test": "ldh", "value": 180, "unit": "U/L", "upper_limit": 248},
            {"date": "2026-07-06", "test": "beta2_microglobulin", "value": 2.2, "unit": "mg/L"},
            {"date": "2026-07-06", "test": "albumin", "value": 41, "unit": "g/L"},
            {"date": "2026-07-06", "test": "circulating_plasma_cells", "value": 0, "unit": "%"},
        ],
        "treatments": [
            {"regimen": "VTd", "start": "2021-06-14", "end": "2021-09-06", "best_response": "VGPR"}
        ],
        "progressions": [{"date": "2026-06-01", "type": "biochemical"}],
        "as_of": "2026-07-20",
        **extra,
    }


def test_aggressive_disease_is_the_clinicians_call_but_not_for_an_indolent_relapse() -> None:
    # seed 000 contrasts "agressieve" and "indolent biochemisch recidief": a relapse the
    # protocol calls indolent is not the aggressive disease of its RAD/PAD section
    fields = _slow_biochemical_relapse()
    assert value("indolent_relapse", **fields) is True
    assert value("aggressive_disease", **fields) is False
    # the clinician's assertion wins
    assert value("aggressive_disease", asserted={"aggressive_disease": True}, **fields) is True
    # a clinical relapse is not indolent: aggressive disease stays the clinician's judgement
    clinical = {
        **fields,
        "progressions": [{"date": "2026-06-01", "type": "clinical", "features": ["anemia"]}],
    }
    assert value("aggressive_disease", **clinical) is None


# -- a progression recorded without its type (review/facts/107) -----------------------------
@pytest.mark.parametrize(
    ("progression", "clinical", "biochemical"),
    [
        ({"date": "2026-09-01"}, None, None),  # type unknown: neither
        ({"date": "2026-09-01", "features": ["hypercalcemia"]}, True, False),  # CRAB: clinical
        ({"date": "2026-09-01", "type": "biochemical"}, False, True),
    ],
)
def test_a_progression_without_a_type_is_accepted_and_its_type_unknown(
    progression: dict[str, Any], clinical: Value, biochemical: Value
) -> None:
    lenalidomide = {"regimen": "lenalidomide", "setting": "maintenance", "start": "2021-07-01"}
    fields = {"treatments": [VTD, lenalidomide], "progressions": [progression]}
    assert value("relapsed", **fields) is True
    assert value("clinical_relapse", **fields) is clinical
    assert value("biochemical_relapse", **fields) is biochemical


def test_a_progression_found_only_in_the_labs_says_why_its_type_is_unknown() -> None:
    # progressions not recorded; the serum M-protein series shows a confirmed IMWG
    # progression (review/be-rrmm/61): its type cannot come from the series
    lenalidomide = {"regimen": "lenalidomide", "setting": "maintenance", "start": "2021-07-01"}
    labs = serum(("2026-01-10", 0.3), ("2026-04-10", 0.3), ("2026-07-10", 0.9), ("2026-10-10", 1.0))
    record = {"schema_version": "1", "as_of": "2026-11-01", "treatments": [VTD, lenalidomide]}
    facts = Assessment(parse_record(record | {"labs": labs}))
    assert facts.value("relapsed") is True
    found = facts.get("biochemical_relapse")
    assert found.value is None
    assert "found in the lab series" in found.why and "list the progression" in found.why
    assert "no haemoglobin, calcium or creatinine recorded" in found.why
    # the blood counts the clinician judges by are shown (latest since a month before), not
    # judged: a normal count does not make it biochemical (imaging, attribution)
    counts = [
        {"date": "2026-06-01", "test": "hemoglobin", "value": 13.9, "unit": "g/dL"},
        {"date": "2026-10-10", "test": "hemoglobin", "value": 12.1, "unit": "g/dL"},
        {"date": "2026-10-10", "test": "calcium", "value": 2.4, "unit": "mmol/L"},
    ]
    shown = Assessment(parse_record(record | {"labs": labs + counts})).get("biochemical_relapse")
    assert shown.value is None
    assert "haemoglobin 12.1 g/dL (2026-10-10), calcium 2.4 mmol/L (2026-10-10)" in shown.why
    assert "13.9" not in shown.why and "creatinine" not in shown.why.split("its type;")[-1]


def test_a_relapse_found_in_the_labs_began_after_the_last_assessment_before_it() -> None:
    # review r78-09, r79-01, r79-02: with progressions not recorded the allogeneic SCT was
    # conditional ("an earlier relapse cannot be ruled out") although the series was still
    # at its plateau more than 24 months after every starting point; and a second ASCT was
    # "36 months met" for a progression first seen after an 18-month gap that began at 31
    import datetime as dt

    from records import assess, course, lab

    start, asct = dt.date(2022, 3, 21), dt.date(2022, 9, 20)
    induction = course("VRd", start, dt.date(2022, 7, 25), best_response="VGPR")
    maintenance = course("lenalidomide", dt.date(2022, 12, 1), setting="maintenance")
    maintenance["best_response"] = "CR"
    plateau = [dt.date(2022, 12, 5) + dt.timedelta(days=91 * i) for i in range(10)]

    def facts(last_plateau: dt.date, rise: dt.date) -> object:
        values = [lab(start - dt.timedelta(days=7), "serum_m_protein", 2.8, "g/dL")]
        values += [lab(d, "serum_m_protein", 0.2, "g/dL") for d in plateau if d <= last_plateau]
        values += [
            lab(rise, "serum_m_protein", 1.1, "g/dL"),
            lab(rise + dt.timedelta(days=28), "serum_m_protein", 1.3, "g/dL"),
        ]
        return assess(
            as_of=(rise + dt.timedelta(days=35)).isoformat(),
            treatments=[induction, maintenance],
            procedures=[
                {"type": "stem_cell_collection", "date": "2022-08-15"},
                {"type": "autologous_sct", "date": asct.isoformat(), "best_response_after": "CR"},
            ],
            stem_cells={"stored_grafts": 1},
            transplant_eligible=True,
            labs=values,
        )

    gap = facts(plateau[9], dt.date(2026, 10, 13))  # last plateau value 2025-03-..; rise 2026
    assert gap.value("relapse_within_24_months") is False
    assert "not yet progression on" in gap.get("relapse_within_24_months").why
    assert gap.value("second_asct_remission_criteria") is None
    assert "began in that gap" in gap.get("second_asct_remission_criteria").why
    followed = facts(plateau[9], plateau[9] + dt.timedelta(days=91))  # no gap: 32 months
    assert followed.value("second_asct_remission_criteria") is False
