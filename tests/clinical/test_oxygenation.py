"""Oxygenation indices: worked cases, boundaries, invalid input and properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.oxygenation import (
    ELLIS_MAX_SPO2_PCT,
    PBW_HEIGHT_RANGE,
    PBW_MIN_KG,
    oxygenation_index,
    pf_ratio,
    predicted_body_weight_kg,
    severinghaus_saturation_fraction,
    severinghaus_saturation_pct,
    sf_ratio,
    spo2_to_pao2_mmhg,
)
from stromal.clinical.validation import ClinicalInputError

CASES: dict[str, Any] = json.loads((Path(__file__).parent / "cases" / "oxygenation.json").read_text())


def _args(case: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in case.items() if k not in {"expected", "note"}}


@pytest.mark.parametrize("case", CASES["pf_ratio"])
def test_pf_ratio_matches_worked_cases(case: dict[str, Any]) -> None:
    assert pf_ratio(**_args(case)) == pytest.approx(case["expected"], rel=1e-6)


@pytest.mark.parametrize("case", CASES["sf_ratio"])
def test_sf_ratio_matches_worked_cases(case: dict[str, Any]) -> None:
    assert sf_ratio(**_args(case)) == pytest.approx(case["expected"], rel=1e-6)


@pytest.mark.parametrize("case", CASES["oxygenation_index"])
def test_oxygenation_index_matches_worked_cases(case: dict[str, Any]) -> None:
    assert oxygenation_index(**_args(case)) == pytest.approx(case["expected"], rel=1e-9)


@pytest.mark.parametrize("case", CASES["predicted_body_weight_kg"])
def test_predicted_body_weight_matches_ardsnet(case: dict[str, Any]) -> None:
    assert predicted_body_weight_kg(**_args(case)) == pytest.approx(case["expected"], abs=1e-9)


@pytest.mark.parametrize("case", CASES["severinghaus_saturation_pct"])
def test_severinghaus_matches_worked_cases(case: dict[str, Any]) -> None:
    assert severinghaus_saturation_pct(**_args(case)) == pytest.approx(case["expected"], abs=1e-3)


def test_pf_ratio_at_sea_level_is_uncorrected() -> None:
    assert pf_ratio(100, 0.5) == pf_ratio(100, 0.5, 760.0) == 200.0


def test_it_refuses_fio2_given_as_a_percentage_and_suggests_the_fraction() -> None:
    with pytest.raises(ClinicalInputError) as err:
        pf_ratio(80, 40)
    assert err.value.field == "fio2"
    assert err.value.suggestion is not None and "0.40" in err.value.suggestion


def test_it_refuses_a_pao2_above_700_mmhg() -> None:
    with pytest.raises(ClinicalInputError) as err:
        pf_ratio(701, 0.5)
    assert err.value.field == "pao2_mmhg"


def test_it_refuses_an_unknown_sex_for_predicted_body_weight() -> None:
    with pytest.raises(ClinicalInputError) as err:
        predicted_body_weight_kg("x", 170)
    assert err.value.field == "sex"


def test_spo2_conversion_is_refused_just_above_97_percent() -> None:
    assert spo2_to_pao2_mmhg(ELLIS_MAX_SPO2_PCT) == pytest.approx(90.57, abs=0.01)
    with pytest.raises(ClinicalInputError) as err:
        spo2_to_pao2_mmhg(97.01)
    assert err.value.field == "spo2_pct"


def test_spo2_of_90_percent_maps_to_about_60_mmhg() -> None:
    # The textbook anchor of the dissociation curve: SpO2 90 % ~ PaO2 60 mmHg.
    assert spo2_to_pao2_mmhg(90) == pytest.approx(58.66, abs=0.01)


def test_vectorised_severinghaus_agrees_with_the_scalar_version() -> None:
    po2 = np.array([20.0, 40.0, 60.0, 100.0, 400.0])
    expected = [severinghaus_saturation_pct(p) / 100 for p in po2]
    assert severinghaus_saturation_fraction(po2) == pytest.approx(expected, rel=1e-12)


def test_vectorised_severinghaus_gives_zero_at_zero_and_negative_po2() -> None:
    assert severinghaus_saturation_fraction(np.array([0.0, -5.0])).tolist() == [0.0, 0.0]


@given(st.floats(20, 699), st.floats(0.01, 1))
def test_severinghaus_is_monotone_increasing(pao2: float, step: float) -> None:
    assert severinghaus_saturation_pct(pao2 + step) > severinghaus_saturation_pct(pao2)


# Tolerance: the inversion is algebraically exact; 1e-6 %SpO2 allows for the
# floating-point cancellation in Cardano's formula near 97 %.
@given(st.floats(50, ELLIS_MAX_SPO2_PCT))
def test_ellis_inversion_round_trips_with_severinghaus(spo2: float) -> None:
    assert severinghaus_saturation_pct(spo2_to_pao2_mmhg(spo2)) == pytest.approx(spo2, abs=1e-6)


@given(st.floats(20, 700), st.floats(0.21, 1.0), st.floats(0.21, 1.0))
def test_higher_fio2_for_the_same_pao2_gives_a_lower_pf_ratio(pao2: float, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert pf_ratio(pao2, high) <= pf_ratio(pao2, low)


def test_a_100_cm_woman_gets_no_negative_predicted_body_weight() -> None:
    # 45.5 + 0.91 x (100 - 152.4) = -2.2 kg: refused on height_cm, never returned.
    with pytest.raises(ClinicalInputError) as err:
        predicted_body_weight_kg("female", 100)
    assert err.value.field == "height_cm"
    assert "-2.2 kg" in err.value.rule


@pytest.mark.parametrize(
    ("sex", "height", "ok"),
    [("female", 124.5, True), ("female", 124.3, False), ("male", 119.5, True), ("male", 119.3, False)],
)
def test_predicted_body_weight_is_refused_below_the_minimum_body_weight(
    sex: str, height: float, ok: bool
) -> None:
    if ok:
        assert predicted_body_weight_kg(sex, height) >= PBW_MIN_KG
    else:
        with pytest.raises(ClinicalInputError):
            predicted_body_weight_kg(sex, height)


def test_heights_below_five_feet_are_flagged_as_outside_the_equation() -> None:
    assert PBW_HEIGHT_RANGE.flag_for(152.4) is None
    flag = PBW_HEIGHT_RANGE.flag_for(150.0)
    assert flag is not None and flag["field"] == "height_cm" and flag["range"] == "152.4–250 cm"


def test_the_vectorised_saturation_equals_the_formula_even_at_tiny_pressures() -> None:
    po2 = np.array([0.0, -5.0, 0.001, 0.005, 40.0, 100.0])
    cubic = np.maximum(po2, 0.0) ** 3 + 150.0 * np.maximum(po2, 0.0)
    expected = np.array([0.0 if c == 0 else 1.0 / (23400.0 / c + 1.0) for c in cubic])
    got = severinghaus_saturation_fraction(po2)
    assert got.dtype == np.float64
    assert np.allclose(got, expected, rtol=1e-12, atol=0.0)
    assert got[3] > 0.0  # 0.005 mmHg gives a (tiny) positive saturation, not 0
