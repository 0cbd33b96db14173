"""Berlin definition: grades at every threshold, support rules, missing vs unmet, monotonicity."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.berlin import berlin_definition, berlin_severity

ORDER = {None: 0, "mild": 1, "moderate": 2, "severe": 3}
ARDS_CONTEXT: dict[str, Any] = {
    "onset_within_7_days": True,
    "bilateral_opacities": True,
    "edema_explained_by_cardiac_or_fluid": False,
}


@pytest.mark.parametrize(
    ("pf", "grade"),
    [
        (300.1, None),
        (300.0, "mild"),
        (299.9, "mild"),
        (200.1, "mild"),
        (200.0, "moderate"),
        (199.9, "moderate"),
        (100.1, "moderate"),
        (100.0, "severe"),
        (99.9, "severe"),
    ],
)
def test_severity_bands_just_above_at_and_below_each_threshold(pf: float, grade: str | None) -> None:
    assert berlin_severity(pf) == grade


@pytest.mark.parametrize(("peep", "meets"), [(4.9, False), (5.0, True), (5.1, True)])
def test_peep_threshold_is_5_cmh2o(peep: float, meets: bool) -> None:
    result = berlin_definition(pf_ratio_mmhg=150, peep_cmh2o=peep, support="invasive", **ARDS_CONTEXT)
    assert result.meets is meets


@pytest.mark.parametrize("support", ["none", "conventional_o2", "hfno"])
def test_support_without_peep_or_cpap_is_unmet(support: str) -> None:
    result = berlin_definition(pf_ratio_mmhg=150, peep_cmh2o=None, support=support, **ARDS_CONTEXT)
    assert result.meets is False
    assert [c.code for c in result.criteria if c.status == "unmet"] == ["peep_or_cpap"]


@pytest.mark.parametrize(("pf", "meets", "grade"), [(200.1, True, "mild"), (200.0, False, None)])
def test_non_invasive_cpap_qualifies_only_in_the_mild_range(
    pf: float, meets: bool, grade: str | None
) -> None:
    result = berlin_definition(pf_ratio_mmhg=pf, peep_cmh2o=6, support="niv", **ARDS_CONTEXT)
    assert (result.meets, result.severity) == (meets, grade)


def test_unknown_support_with_low_pf_is_missing_not_unmet() -> None:
    result = berlin_definition(pf_ratio_mmhg=150, peep_cmh2o=8, support=None, **ARDS_CONTEXT)
    assert result.meets is None
    assert result.as_dict()["missing"] == ["peep_or_cpap"]


def test_missing_clinical_criteria_are_reported_as_missing_not_unmet() -> None:
    result = berlin_definition(
        pf_ratio_mmhg=150,
        peep_cmh2o=8,
        support="invasive",
        onset_within_7_days=None,
        bilateral_opacities=None,
        edema_explained_by_cardiac_or_fluid=None,
    )
    out = result.as_dict()
    assert result.meets is None and result.severity is None
    assert out["missing"] == ["timing", "imaging", "origin_of_edema"]
    assert out["unmet"] == []


def test_an_unmet_criterion_outweighs_missing_ones() -> None:
    result = berlin_definition(
        pf_ratio_mmhg=350,
        peep_cmh2o=8,
        support="invasive",
        onset_within_7_days=None,
        bilateral_opacities=True,
        edema_explained_by_cardiac_or_fluid=False,
    )
    assert result.meets is False


@given(st.floats(20, 700 / 0.21), st.floats(20, 700 / 0.21))
def test_a_lower_pf_never_gives_a_milder_grade(a: float, b: float) -> None:
    low, high = sorted((a, b))
    grade_low = berlin_definition(
        pf_ratio_mmhg=low, peep_cmh2o=10, support="invasive", **ARDS_CONTEXT
    ).severity
    grade_high = berlin_definition(
        pf_ratio_mmhg=high, peep_cmh2o=10, support="invasive", **ARDS_CONTEXT
    ).severity
    assert ORDER[grade_low] >= ORDER[grade_high]
