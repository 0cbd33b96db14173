"""Spirometry and DLCO: GLI references through pyspiro, raw values kept, SI conversion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.clinical.instruments import INSTRUMENTS, Subject
from stromal.clinical.instruments.base import EXACTLY_ONE, REQUIRED_WHEN
from stromal.clinical.instruments.lung_function import (
    DLCO_SI_TO_TRADITIONAL,
    FEV1_ABOVE_FVC,
    spirometry_by_parameter,
)
from stromal.clinical.reference_values import spirometry_reference
from stromal.clinical.validation import ClinicalInputError

DATA = json.loads((Path(__file__).parent / "cases" / "lung_function.json").read_text(encoding="utf-8"))
SPIRO = INSTRUMENTS["spirometry"]
DLCO = INSTRUMENTS["dlco"]
MAN = Subject("male", 60, 175)


def _check(result: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if isinstance(value, float):
            assert result[key] == pytest.approx(value, abs=1e-6), key
        else:
            assert result[key] == value, key


@pytest.mark.parametrize("case", DATA["spirometry"], ids=lambda c: str(c["answers"]))
def test_spirometry_matches_its_pinned_gli_values(case: dict[str, Any]) -> None:
    _check(SPIRO.score(case["answers"], Subject(**case["subject"])), case["expected"])


@pytest.mark.parametrize("case", DATA["dlco"], ids=lambda c: str(c["answers"]))
def test_dlco_matches_its_pinned_gli_2017_values(case: dict[str, Any]) -> None:
    _check(DLCO.score(case["answers"], Subject(**case["subject"])), case["expected"])


def test_gli_global_2022_is_the_default_and_the_result_names_equation_and_implementation() -> None:
    result = SPIRO.score({"fev1_l": 2.8, "fvc_l": 3.9}, MAN)
    assert result["equation"] == "gli_global_2022"
    assert "doi:10.1164/rccm.202205-0963OC" in str(result["equation_source"])
    assert str(result["implementation"]).startswith("pyspiro ")


def test_the_entered_values_are_kept_as_measured() -> None:
    result = SPIRO.score({"fev1_l": 2.8, "fvc_l": 3.9}, MAN)
    assert (result["fev1_measured"], result["fvc_measured"]) == (2.8, 3.9)
    assert result["fev1_fvc_measured"] == pytest.approx(2.8 / 3.9)


def test_a_value_exactly_at_the_lln_is_not_below_it() -> None:
    lln = spirometry_reference("fvc", 3.0, sex="male", age_years=60, height_cm=175).lln
    at = SPIRO.score({"fev1_l": 2.0, "fvc_l": lln}, MAN)
    assert at["fvc_z"] == pytest.approx(-1.645, abs=1e-3)
    assert at["fvc_below_lln"] is False
    below = SPIRO.score({"fev1_l": 2.0, "fvc_l": lln - 0.01}, MAN)
    assert below["fvc_below_lln"] is True


def test_measuring_the_predicted_value_gives_z_zero_and_100_percent() -> None:
    predicted = float(SPIRO.score({"fev1_l": 2.0, "fvc_l": 3.0}, MAN)["fev1_predicted"] or 0)
    result = SPIRO.score({"fev1_l": predicted, "fvc_l": 4.5}, MAN)
    assert result["fev1_z"] == pytest.approx(0, abs=1e-9)
    assert result["fev1_percent_predicted"] == pytest.approx(100)


def test_gli_2012_asks_for_an_ethnicity() -> None:
    with pytest.raises(ClinicalInputError) as err:
        SPIRO.validate({"fev1_l": 2.8, "fvc_l": 3.9, "spirometry_equation": "gli_2012"})
    assert err.value.field == "ethnicity"
    assert err.value.rule == REQUIRED_WHEN.format(condition="when spirometry_equation is gli_2012")


def test_an_ethnicity_with_the_race_neutral_equation_is_refused() -> None:
    with pytest.raises(ClinicalInputError) as err:
        SPIRO.validate({"fev1_l": 2.8, "fvc_l": 3.9, "ethnicity": "caucasian"})
    assert err.value.field == "ethnicity"


def test_an_fev1_above_the_fvc_is_refused() -> None:
    with pytest.raises(ClinicalInputError) as err:
        SPIRO.validate({"fev1_l": 4.0, "fvc_l": 3.9})
    assert (err.value.field, err.value.rule) == ("fev1_l", FEV1_ABOVE_FVC)


def test_an_fev1_typed_in_millilitres_is_refused_naming_the_item() -> None:
    with pytest.raises(ClinicalInputError) as err:
        SPIRO.validate({"fev1_l": 2800, "fvc_l": 3.9})
    assert err.value.field == "fev1_l"


def test_an_age_beyond_the_equation_is_refused_not_clamped() -> None:
    with pytest.raises(ClinicalInputError) as err:
        DLCO.score({"dlco_ml_min_mmhg": 20.0}, Subject("male", 99, 175))
    assert err.value.field == "age_years"


def test_an_si_dlco_is_converted_by_2_987() -> None:
    si = DLCO.score({"dlco_mmol_min_kpa": 7.0}, MAN)
    traditional = DLCO.score({"dlco_ml_min_mmhg": 7.0 * DLCO_SI_TO_TRADITIONAL}, MAN)
    assert si["dlco_ml_min_mmhg"] == pytest.approx(20.909)
    assert si["converted_from_si"] is True and traditional["converted_from_si"] is False
    assert si["z"] == pytest.approx(traditional["z"])


def test_the_conversion_factor_agrees_with_first_principles_to_0_1_percent() -> None:
    # 1 mmol at STPD = 22.414 mL; 1 kPa = 7.50062 mmHg.
    assert pytest.approx(22.414 / 7.50062, rel=1e-3) == DLCO_SI_TO_TRADITIONAL


@pytest.mark.parametrize(
    "answers", [{}, {"dlco_ml_min_mmhg": 20.0, "dlco_mmol_min_kpa": 6.7}], ids=["neither", "both"]
)
def test_dlco_takes_exactly_one_unit(answers: dict[str, float]) -> None:
    with pytest.raises(ClinicalInputError) as err:
        DLCO.validate(answers)
    assert err.value.rule == EXACTLY_ONE.format(names="dlco_ml_min_mmhg or dlco_mmol_min_kpa")


@settings(max_examples=20, deadline=None)
@given(st.floats(8, 40), st.floats(0.1, 5))
def test_a_larger_dlco_never_gives_a_lower_z_score(dlco: float, step: float) -> None:
    low = DLCO.score({"dlco_ml_min_mmhg": dlco}, MAN)
    high = DLCO.score({"dlco_ml_min_mmhg": dlco + step}, MAN)
    assert float(high["z"] or 0) > float(low["z"] or 0)
    z = float(low["z"] or 0)
    if abs(z + 1.645) > 1e-9:  # pyspiro's LLN is the z = -1.645 value
        assert low["below_lln"] is (z < -1.645)


def test_the_results_nest_per_parameter_as_stromal_assess_prints_them() -> None:
    scores = SPIRO.score({"fev1_l": 2.8, "fvc_l": 3.9}, MAN)
    nested = spirometry_by_parameter(scores)
    assert set(nested) == {"fev1", "fvc", "fev1_fvc", "equation"}
    assert nested["fvc"] == {
        "z": scores["fvc_z"],
        "percent_predicted": scores["fvc_percent_predicted"],
        "lln": scores["fvc_lln"],
        "below_lln": scores["fvc_below_lln"],
    }
