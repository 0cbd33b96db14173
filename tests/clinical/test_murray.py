"""Murray lung injury score: component bands at each boundary, averaging over available components."""

from __future__ import annotations

import pytest

from stromal.clinical.murray import (
    murray_compliance_points,
    murray_cxr_points,
    murray_peep_points,
    murray_pf_points,
    murray_score,
)


@pytest.mark.parametrize(
    ("pf", "points"),
    [(300, 0), (299.9, 1), (225, 1), (224.9, 2), (175, 2), (174.9, 3), (100, 3), (99.9, 4)],
)
def test_pf_bands(pf: float, points: int) -> None:
    assert murray_pf_points(pf) == points


@pytest.mark.parametrize(
    ("peep", "points"),
    [(5, 0), (5.1, 1), (6, 1), (8, 1), (9, 2), (11, 2), (12, 3), (14, 3), (14.1, 4), (15, 4)],
)
def test_peep_bands(peep: float, points: int) -> None:
    assert murray_peep_points(peep) == points


@pytest.mark.parametrize(
    ("compliance", "points"),
    [(80, 0), (79.9, 1), (60, 1), (59.9, 2), (40, 2), (39.9, 3), (20, 3), (19.9, 4), (19, 4)],
)
def test_compliance_bands(compliance: float, points: int) -> None:
    assert murray_compliance_points(compliance) == points


def test_score_is_the_mean_of_all_four_components() -> None:
    # CXR 3, P/F 150 -> 3, PEEP 10 -> 2, compliance 30 -> 3: 11 / 4 = 2.75 (severe)
    result = murray_score(
        chest_xray_quadrants=3, pf_ratio_mmhg=150, peep_cmh2o=10, compliance_ml_per_cmh2o=30
    )
    assert result.score == 2.75
    assert result.interpretation == "severe lung injury (ARDS)"
    assert result.missing == ()


def test_score_divides_only_by_the_components_used() -> None:
    result = murray_score(
        chest_xray_quadrants=4, pf_ratio_mmhg=None, peep_cmh2o=5, compliance_ml_per_cmh2o=None
    )
    assert result.score == 2.0
    assert result.missing == ("hypoxemia", "compliance")


def test_no_component_gives_no_score() -> None:
    result = murray_score(
        chest_xray_quadrants=None, pf_ratio_mmhg=None, peep_cmh2o=None, compliance_ml_per_cmh2o=None
    )
    assert result.score is None
    assert result.interpretation is None


@pytest.mark.parametrize(
    ("score_inputs", "text"),
    [((0, 400, 5, 90), "no lung injury"), ((2, 200, 8, 60), "mild to moderate lung injury")],
)
def test_interpretation_bands(score_inputs: tuple[int, float, float, float], text: str) -> None:
    cxr, pf, peep, compliance = score_inputs
    result = murray_score(
        chest_xray_quadrants=cxr, pf_ratio_mmhg=pf, peep_cmh2o=peep, compliance_ml_per_cmh2o=compliance
    )
    assert result.interpretation == text


@pytest.mark.parametrize("quadrants", [-1, 5])
def test_more_than_four_or_fewer_than_zero_quadrants_are_refused(quadrants: int) -> None:
    with pytest.raises(ValueError, match="chest_xray_quadrants must be 0-4"):
        murray_cxr_points(quadrants)


def test_four_quadrants_score_four() -> None:
    assert murray_cxr_points(4) == 4
