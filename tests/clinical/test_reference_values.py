"""Six-minute walk (Enright & Sherrill 1998) and GLI lung-function references via pyspiro."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.clinical.reference_values import (
    dlco_percent_predicted,
    dlco_reference,
    dlco_z_score,
    fev1_percent_predicted,
    fvc_percent_predicted,
    fvc_z_score,
    six_minute_walk_lln_m,
    six_minute_walk_percent_predicted,
    six_minute_walk_predicted_m,
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
