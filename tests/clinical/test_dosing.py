"""Dose arithmetic: worked protocol doses, rounding of units, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.dosing import (
    dose_for_arm,
    infusion_rate_ml_per_h,
    product_units,
    total_cells,
    volume_ml,
)
from stromal.clinical.protocol import Arm, arm_from_dict, builtin_protocols
from stromal.clinical.validation import ClinicalInputError

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "cases" / "dosing.json").read_text())[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_doses_match_hand_arithmetic(case: dict[str, Any]) -> None:
    arm = arm_from_dict(case["arm"])
    dose = dose_for_arm(
        arm,
        **case["patient"],
        cells_per_unit=case.get("cells_per_unit"),
        concentration_per_ml=case.get("concentration_per_ml"),
        infusion_minutes=case.get("infusion_minutes"),
    )
    got = dose.as_dict()
    for key, expected in case["expected"].items():
        if isinstance(expected, float):
            assert got[key] == pytest.approx(expected, rel=1e-6), key
        else:
            assert got[key] == expected, key


def test_the_builtin_start_like_protocol_doses_on_predicted_weight() -> None:
    protocol = next(p for p in builtin_protocols() if p.code == "start-like-single-iv")
    dose = dose_for_arm(protocol.arm("bmmsc_iv"), sex="female", height_cm=165, weight_kg=90)
    assert dose.dosing_weight_kg == pytest.approx(56.966)
    assert dose.total_cells == pytest.approx(5.6966e8)


def test_units_are_rounded_up_but_not_for_floating_point_noise() -> None:
    assert product_units(3e8, 1e8) == 3
    assert product_units(3.0000001e8, 1e8) == 4
    assert product_units(0.3e8 * 10, 1e8) == 3


def test_a_cap_above_the_dose_changes_nothing() -> None:
    assert total_cells(1e6, 70, max_total_cells=1e9) == 7e7


def test_it_refuses_a_control_arm() -> None:
    with pytest.raises(ClinicalInputError) as err:
        dose_for_arm(Arm(name="placebo"), weight_kg=70)
    assert err.value.field == "arm"


def test_it_refuses_a_predicted_weight_dose_without_height() -> None:
    arm = arm_from_dict(
        {"name": "iv", "route": "iv", "dose_cells_per_kg": 1e6, "days": [0], "weight_basis": "predicted"}
    )
    with pytest.raises(ClinicalInputError) as err:
        dose_for_arm(arm, sex="male")
    assert err.value.field == "height_cm"


def test_it_refuses_an_actual_weight_dose_without_weight() -> None:
    arm = arm_from_dict({"name": "iv", "route": "iv", "dose_cells_per_kg": 1e6, "days": [0]})
    with pytest.raises(ClinicalInputError) as err:
        dose_for_arm(arm)
    assert err.value.field == "weight_kg"


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_it_refuses_non_positive_or_non_finite_concentrations(bad: float) -> None:
    with pytest.raises(ClinicalInputError) as err:
        volume_ml(1e8, bad)
    assert err.value.field == "concentration_per_ml"


def test_it_refuses_a_zero_duration() -> None:
    with pytest.raises(ClinicalInputError):
        infusion_rate_ml_per_h(100, 0)


@given(st.floats(1e5, 1e7), st.floats(30, 200), st.floats(30, 200))
def test_total_cells_never_decrease_with_weight(per_kg: float, w1: float, w2: float) -> None:
    low, high = sorted((w1, w2))
    assert total_cells(per_kg, low) <= total_cells(per_kg, high)


@pytest.mark.parametrize(
    ("function", "args", "field"),
    [
        (product_units, (0, 1e8), "total_cells"),
        (product_units, (1e8, 0), "cells_per_unit"),
        (volume_ml, (0, 1e6), "amount"),
        (volume_ml, (1e8, -1), "concentration_per_ml"),
        (infusion_rate_ml_per_h, (0, 60), "volume_ml"),
        (infusion_rate_ml_per_h, (100, 0), "infusion_minutes"),
        (total_cells, (0, 70), "dose_cells_per_kg"),
        (total_cells, (1e6, 0), "weight_kg"),
        (total_cells, (1e6, 70, 0), "max_total_cells"),
    ],
)
def test_each_dose_helper_refuses_a_non_positive_input_naming_its_field(
    function: Any, args: tuple[float, ...], field: str
) -> None:
    with pytest.raises(ClinicalInputError) as err:
        function(*args)
    assert err.value.field == field
    assert err.value.rule == "must be a finite number > 0"


@pytest.mark.parametrize(
    ("basis", "patient", "field", "rule"),
    [
        (
            "predicted",
            {"sex": None, "height_cm": 170, "weight_kg": 70},
            "sex",
            "needed for a dose on predicted body weight",
        ),
        (
            "predicted",
            {"sex": "male", "height_cm": None, "weight_kg": 70},
            "height_cm",
            "needed for a dose on predicted body weight",
        ),
        (
            "actual",
            {"sex": "male", "height_cm": 170, "weight_kg": None},
            "weight_kg",
            "needed for a dose on actual body weight",
        ),
    ],
)
def test_a_dose_without_its_weight_inputs_is_refused_naming_the_field(
    basis: str, patient: dict[str, Any], field: str, rule: str
) -> None:
    arm = arm_from_dict(
        {"name": "x_iv", "route": "iv", "dose_cells_per_kg": 1e6, "weight_basis": basis, "days": [0]}
    )
    with pytest.raises(ClinicalInputError) as err:
        dose_for_arm(arm, **patient)
    assert (err.value.field, err.value.rule) == (field, rule)


def test_values_between_zero_and_one_are_positive_amounts() -> None:
    assert volume_ml(0.5, 1.0) == 0.5
    assert infusion_rate_ml_per_h(0.5, 30) == 1.0
