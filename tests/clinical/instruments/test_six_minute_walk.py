"""Six-minute walk: Enright & Sherrill 1998 worked cases, the LLN and population flags, branching."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.clinical.instruments import INSTRUMENTS, Subject
from stromal.clinical.instruments.base import NOT_APPLICABLE, REQUIRED_WHEN, SUBJECT_NEEDED
from stromal.clinical.instruments.six_minute_walk import outside_reference_population
from stromal.clinical.validation import ClinicalInputError

DATA = json.loads((Path(__file__).parent / "cases" / "six_minute_walk.json").read_text(encoding="utf-8"))
WALK = INSTRUMENTS["six_minute_walk"]
ANSWERS: dict[str, object] = {
    "six_minute_walk_m": 436,
    "spo2_start_pct": 96,
    "spo2_nadir_pct": 89,
    "borg_dyspnoea_end": 4,
    "borg_fatigue_end": 3,
    "oxygen_used": False,
}
MAN = Subject("male", 60, 175, 80)


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: str(c["note"])[:40])
def test_it_scores_the_enright_sherrill_worked_cases(case: dict[str, Any]) -> None:
    result = WALK.score(ANSWERS | {"six_minute_walk_m": case["distance_m"]}, Subject(**case["subject"]))
    for key in ("predicted_m", "lln_m", "percent_predicted"):
        assert result[key] == pytest.approx(case[key], abs=1e-6), key
    assert result["below_lln"] is case["below_lln"]
    assert result["outside_reference_population"] is case["outside_reference_population"]
    assert result["equation"] == "enright_sherrill_1998"


def test_it_reports_the_fall_in_saturation_during_the_walk() -> None:
    assert WALK.score(ANSWERS, MAN)["spo2_drop_pct"] == 7


@pytest.mark.parametrize(("age", "outside"), [(39.9, True), (40, False), (80, False), (80.1, True)])
def test_the_reference_population_is_40_to_80_years_inclusive(age: float, outside: bool) -> None:
    assert outside_reference_population(age) is outside


@settings(max_examples=30, deadline=None)
@given(st.floats(0, 1000), st.floats(0.5, 50))
def test_walking_further_never_lowers_the_percent_predicted(distance: float, step: float) -> None:
    near = WALK.score(ANSWERS | {"six_minute_walk_m": distance}, MAN)
    far = WALK.score(ANSWERS | {"six_minute_walk_m": min(1200.0, distance + step)}, MAN)
    assert float(far["percent_predicted"] or 0) >= float(near["percent_predicted"] or 0)
    assert near["below_lln"] is (distance < float(near["lln_m"] or 0))


def test_oxygen_flow_is_required_only_when_oxygen_was_used() -> None:
    with pytest.raises(ClinicalInputError) as err:
        WALK.validate(ANSWERS | {"oxygen_used": True})
    assert err.value.field == "oxygen_flow_l_min"
    assert err.value.rule == REQUIRED_WHEN.format(condition="when oxygen_used is yes")
    assert WALK.validate(ANSWERS | {"oxygen_used": True, "oxygen_flow_l_min": 2})["oxygen_flow_l_min"] == 2


def test_an_oxygen_flow_without_oxygen_is_refused_not_dropped() -> None:
    with pytest.raises(ClinicalInputError) as err:
        WALK.validate(ANSWERS | {"oxygen_flow_l_min": 2})
    assert err.value.field == "oxygen_flow_l_min"
    assert err.value.rule == NOT_APPLICABLE.format(condition="when oxygen_used is yes")


def test_the_distance_has_the_same_range_as_the_assess_observation() -> None:
    with pytest.raises(ClinicalInputError) as err:
        WALK.validate(ANSWERS | {"six_minute_walk_m": 1500})
    assert err.value.field == "six_minute_walk_m"
    assert "0–1200 m" in err.value.rule


@pytest.mark.parametrize("bad", [11, -1])
def test_a_borg_rating_outside_0_to_10_is_refused(bad: float) -> None:
    with pytest.raises(ClinicalInputError) as err:
        WALK.validate(ANSWERS | {"borg_dyspnoea_end": bad})
    assert err.value.field == "borg_dyspnoea_end"


def test_scoring_needs_the_patients_weight() -> None:
    with pytest.raises(ClinicalInputError) as err:
        WALK.score(ANSWERS, Subject("male", 60, 175, None))
    assert (err.value.field, err.value.rule) == (
        "weight_kg",
        SUBJECT_NEEDED.format(instrument="six_minute_walk"),
    )


def test_a_saturation_given_as_a_fraction_gets_a_hint() -> None:
    with pytest.raises(ClinicalInputError) as err:
        WALK.validate(ANSWERS | {"spo2_nadir_pct": 0.89})
    assert err.value.field == "spo2_nadir_pct"
    assert err.value.suggestion is not None and "percentage" in err.value.suggestion
