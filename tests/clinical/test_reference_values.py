"""Six-minute walk (Enright & Sherrill 1998) and GLI lung-function references via pyspiro."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.clinical.reference_values import (
    GLI_2012_AGE_RANGE,
    GLI_GLOBAL_2022_AGE_RANGE,
    SIX_MINUTE_WALK_AGE_RANGE,
    dlco_percent_predicted,
    dlco_reference,
    dlco_z_score,
    fev1_percent_predicted,
    fvc_percent_predicted,
    fvc_z_score,
    six_minute_walk_lln_m,
    six_minute_walk_percent_predicted,
    six_minute_walk_predicted_m,
    six_minute_walk_reference,
    spirometry_reference,
)
from stromal.clinical.validation import ClinicalInputError

MAN = {"sex": "male", "age_years": 60, "height_cm": 175}


def test_six_minute_walk_for_a_man_matches_enright_sherrill() -> None:
    # 7.57 x 175 - 5.02 x 60 - 1.76 x 80 - 309 = 573.75 m
    assert six_minute_walk_predicted_m("male", 60, 175, 80) == pytest.approx(573.75)
    assert six_minute_walk_lln_m("male", 60, 175, 80) == pytest.approx(573.75 - 153)


def test_six_minute_walk_for_a_woman_matches_enright_sherrill() -> None:
    # 2.11 x 165 - 2.29 x 62 - 5.78 x 50 + 667 = 584.17 m
    assert six_minute_walk_predicted_m("female", 50, 165, 62) == pytest.approx(584.17)
    assert six_minute_walk_lln_m("female", 50, 165, 62) == pytest.approx(584.17 - 139)


def test_percent_predicted_is_distance_over_prediction() -> None:
    assert six_minute_walk_percent_predicted(436, "male", 60, 175, 80) == pytest.approx(100 * 436 / 573.75)


def test_six_minute_walk_refuses_an_unknown_sex() -> None:
    with pytest.raises(ClinicalInputError) as err:
        six_minute_walk_predicted_m("m", 60, 175, 80)
    assert err.value.field == "sex"


def test_measuring_the_predicted_value_gives_100_percent_and_z_zero() -> None:
    ref = spirometry_reference("fvc", 3.0, **MAN)
    at_predicted = spirometry_reference("fvc", ref.predicted, **MAN)
    assert at_predicted.percent_predicted == pytest.approx(100.0)
    assert at_predicted.z_score == pytest.approx(0.0, abs=1e-9)


def test_the_lln_is_the_fifth_centile() -> None:
    ref = spirometry_reference("fev1", 3.0, **MAN)
    at_lln = spirometry_reference("fev1", ref.lln, **MAN)
    assert at_lln.z_score == pytest.approx(-1.645, abs=1e-6)


def test_gli_predictions_are_plausible_for_a_60_year_old_man_of_175_cm() -> None:
    # Broad plausibility bounds for adult GLI predictions, not pinned outputs.
    assert 3.0 < spirometry_reference("fev1", 3.0, **MAN).predicted < 3.8
    assert 3.8 < spirometry_reference("fvc", 3.0, **MAN).predicted < 4.8
    assert 20 < dlco_reference(20.0, **MAN).predicted < 33


def test_convenience_functions_agree_with_the_full_reference() -> None:
    assert fvc_percent_predicted(3.5, **MAN) == spirometry_reference("fvc", 3.5, **MAN).percent_predicted
    assert fvc_z_score(3.5, **MAN) == spirometry_reference("fvc", 3.5, **MAN).z_score
    assert dlco_percent_predicted(20.0, **MAN) == dlco_reference(20.0, **MAN).percent_predicted
    assert dlco_z_score(20.0, **MAN) == dlco_reference(20.0, **MAN).z_score
    assert fev1_percent_predicted(2.8, **MAN) > 0


def test_gli_2012_needs_an_ethnicity() -> None:
    with pytest.raises(ClinicalInputError) as err:
        spirometry_reference("fev1", 2.8, equation="gli_2012", **MAN)
    assert err.value.field == "ethnicity"
    ref = spirometry_reference("fev1", 2.8, equation="gli_2012", ethnicity="caucasian", **MAN)
    assert ref.equation == "gli_2012"


def test_it_refuses_an_age_outside_the_equation_range_instead_of_clamping() -> None:
    with pytest.raises(ClinicalInputError) as err:
        dlco_reference(20.0, sex="male", age_years=99, height_cm=175)
    assert err.value.field == "age_years"


@pytest.mark.parametrize("bad", [0, -1.0, True])
def test_it_refuses_non_positive_measurements(bad: float) -> None:
    with pytest.raises(ClinicalInputError) as err:
        spirometry_reference("fvc", bad, **MAN)
    assert err.value.field == "fvc"


def test_it_refuses_an_unknown_parameter() -> None:
    with pytest.raises(ClinicalInputError):
        spirometry_reference("pef", 5.0, **MAN)


@settings(max_examples=25, deadline=None)
@given(st.floats(1.0, 6.0), st.floats(0.01, 1.0))
def test_a_larger_fvc_never_gives_a_lower_z_score(fvc: float, step: float) -> None:
    assert fvc_z_score(fvc + step, **MAN) > fvc_z_score(fvc, **MAN)


# --- Published values, published ranges, impossible outputs (issue #8, class 2) ---

GLI = json.loads((Path(__file__).parent / "cases" / "gli_reference_values.json").read_text())


def _person(case: dict[str, Any]) -> dict[str, Any]:
    return {k: case[k] for k in ("sex", "age_years", "height_cm")}


@pytest.mark.parametrize("case", GLI["gli_2012"])
def test_gli_2012_matches_the_gli_web_calculator(case: dict[str, Any]) -> None:
    for parameter in ("fev1", "fvc", "fev1_fvc"):
        ref = spirometry_reference(
            parameter, 1.0, equation="gli_2012", ethnicity="caucasian", **_person(case)
        )
        predicted, lln = case[parameter]
        assert round(ref.predicted, 3) == predicted, parameter
        assert round(ref.lln, 3) == lln, parameter


@pytest.mark.parametrize("case", GLI["gli_2017_dlco"])
def test_gli_2017_dlco_matches_the_gli_web_calculator(case: dict[str, Any]) -> None:
    ref = dlco_reference(20.0, **_person(case))
    assert (round(ref.predicted, 3), round(ref.lln, 3)) == tuple(case["dlco"])


@pytest.mark.parametrize("case", GLI["gli_global_2022"])
def test_gli_global_2022_matches_an_independent_implementation(case: dict[str, Any]) -> None:
    for parameter in ("fev1", "fvc", "fev1_fvc"):
        ref = spirometry_reference(parameter, 1.0, **_person(case))
        assert ref.predicted == pytest.approx(case[parameter][0], abs=1e-9)
        assert ref.lln == pytest.approx(case[parameter][1], abs=1e-9)


@pytest.mark.parametrize(
    ("equation", "age", "inside"),
    [
        ("gli_global_2022", GLI_GLOBAL_2022_AGE_RANGE.minimum, True),
        ("gli_global_2022", GLI_GLOBAL_2022_AGE_RANGE.maximum, True),
        ("gli_global_2022", 96, False),
        ("gli_global_2022", 2.9, False),
        ("gli_2012", GLI_2012_AGE_RANGE.maximum, True),
        ("gli_2012", 95.5, False),
    ],
)
def test_spirometry_outside_its_published_age_range_is_refused_with_range_and_source(
    equation: str, age: float, inside: bool
) -> None:
    kwargs: dict[str, Any] = {"ethnicity": "caucasian"} if equation == "gli_2012" else {}
    height = 110 if age < 10 else 170
    if inside:
        assert spirometry_reference(
            "fvc", 1.0, sex="female", age_years=age, height_cm=height, equation=equation, **kwargs
        )
        return
    with pytest.raises(ClinicalInputError) as err:
        spirometry_reference(
            "fvc", 1.0, sex="female", age_years=age, height_cm=height, equation=equation, **kwargs
        )
    assert err.value.field == "age_years"
    assert "3–95 years" in err.value.rule
    assert (
        "Eur Respir J 2012" if equation == "gli_2012" else "Am J Respir Crit Care Med 2023"
    ) in err.value.rule


@pytest.mark.parametrize(("age", "inside"), [(5, True), (85, True), (85.5, False), (88, False), (4.5, False)])
def test_dlco_is_refused_outside_5_to_85_years(age: float, inside: bool) -> None:
    height = 115 if age < 10 else 170
    if inside:
        assert dlco_reference(10.0, sex="male", age_years=age, height_cm=height).predicted > 0
        return
    with pytest.raises(ClinicalInputError) as err:
        dlco_reference(10.0, sex="male", age_years=age, height_cm=height)
    assert err.value.field == "age_years" and "5–85 years" in err.value.rule


@pytest.mark.parametrize(
    ("age", "flagged"), [(40, False), (80, False), (39.9, True), (80.5, True), (25, True)]
)
def test_six_minute_walk_outside_40_to_80_years_keeps_the_number_with_a_flag(
    age: float, flagged: bool
) -> None:
    ref = six_minute_walk_reference("male", age, 175, 80)
    assert ref.predicted_m > 0
    if flagged:
        assert ref.out_of_reference_range == {
            "field": "age_years",
            "range": "40–80 years",
            "source": SIX_MINUTE_WALK_AGE_RANGE.source,
        }
    else:
        assert ref.out_of_reference_range is None


def test_a_negative_six_minute_walk_prediction_is_refused_naming_the_field_and_rule() -> None:
    with pytest.raises(ClinicalInputError) as err:
        six_minute_walk_predicted_m("male", 120, 100, 300)  # 757 - 602.4 - 528 - 309 = -682.4 m
    assert err.value.field == "age_years"
    assert "no positive distance" in err.value.rule


@settings(max_examples=300, deadline=None)
@given(
    sex=st.sampled_from(["male", "female"]),
    age=st.floats(0, 120),
    height=st.floats(100, 250),
    weight=st.floats(20, 400),
)
def test_every_accepted_input_gives_a_positive_walk_prediction_or_a_refusal(
    sex: str, age: float, height: float, weight: float
) -> None:
    try:
        ref = six_minute_walk_reference(sex, age, height, weight)
    except ClinicalInputError as err:
        assert err.field in ("age_years", "weight_kg")
        assert "no positive distance" in err.rule
        return
    assert ref.predicted_m > 0
    assert ref.lln_m is None or ref.lln_m > 0
    assert (ref.out_of_reference_range is None) == (40 <= age <= 80)


def test_a_walk_prediction_of_exactly_zero_metres_is_refused() -> None:
    # 7.57 x 100 - 5.02 x 50 - 1.76 x w - 309 = 0 at w = 197 / 1.76 (exactly 0.0 in binary).
    weight = 111.93181818181819
    assert 7.57 * 100 - 5.02 * 50 - 1.76 * weight - 309.0 == 0.0
    with pytest.raises(ClinicalInputError) as err:
        six_minute_walk_predicted_m("male", 50, 100, weight)
    assert err.value.field == "weight_kg"  # age 50 is inside 40-80, so the weight is named
    assert "extreme height or weight" in err.value.rule


def test_a_lower_limit_of_normal_that_is_not_a_positive_distance_is_refused() -> None:
    # 7.57 x 150 - 5.02 x 80 - 1.76 x 200 - 309 = 72.9 m predicted; LLN 72.9 - 153 < 0.
    with pytest.raises(ClinicalInputError) as err:
        six_minute_walk_lln_m("male", 80, 150, 200)
    assert "not a positive distance" in err.value.rule
    assert six_minute_walk_reference("male", 80, 150, 200).lln_m is None
