"""Global Definition 2023: categories, S/F use, thresholds and monotonicity."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.global_definition import (
    global_definition,
    intubated_severity_from_pf,
    intubated_severity_from_sf,
    sf_usable,
)

ORDER = {None: 0, "mild": 1, "moderate": 2, "severe": 3}
CONTEXT: dict[str, Any] = {
    "onset_within_7_days": True,
    "bilateral_opacities": True,
    "edema_explained_by_cardiac_or_fluid": False,
}


def _run(**kwargs: Any) -> Any:
    base: dict[str, Any] = {
        "pf_ratio_mmhg": None,
        "sf_ratio": None,
        "spo2_pct": None,
        "support": "invasive",
        "peep_cmh2o": 10,
        "hfno_flow_l_min": None,
        **CONTEXT,
    }
    base.update(kwargs)
    return global_definition(**base)


@pytest.mark.parametrize(
    ("sf", "grade"),
    [
        (315.1, None),
        (315.0, "mild"),
        (235.1, "mild"),
        (235.0, "moderate"),
        (148.1, "moderate"),
        (148.0, "severe"),
        (147.9, "severe"),
    ],
)
def test_sf_grades_at_each_threshold(sf: float, grade: str | None) -> None:
    assert intubated_severity_from_sf(sf) == grade


@pytest.mark.parametrize(
    ("pf", "grade"),
    [(300.1, None), (300.0, "mild"), (200.0, "moderate"), (100.1, "moderate"), (100.0, "severe")],
)
def test_pf_grades_at_each_threshold(pf: float, grade: str | None) -> None:
    assert intubated_severity_from_pf(pf) == grade


@pytest.mark.parametrize(("spo2", "usable"), [(96.9, True), (97.0, True), (97.1, False), (None, False)])
def test_sf_is_used_only_when_spo2_is_at_most_97(spo2: float | None, usable: bool) -> None:
    assert sf_usable(spo2) is usable


def test_intubated_patient_graded_by_sf_when_no_blood_gas() -> None:
    result = _run(sf_ratio=200, spo2_pct=92)
    assert (result.meets, result.category, result.severity) == (True, "intubated", "moderate")


def test_pf_takes_precedence_for_the_grade_when_it_qualifies() -> None:
    result = _run(pf_ratio_mmhg=250, sf_ratio=140, spo2_pct=90)
    assert result.severity == "mild"


def test_sf_ignored_above_97_percent() -> None:
    result = _run(pf_ratio_mmhg=None, sf_ratio=98, spo2_pct=98)
    assert result.meets is None
    assert result.as_dict()["missing"] == ["oxygenation"]


@pytest.mark.parametrize(("flow", "meets"), [(29.9, False), (30.0, True), (30.1, True)])
def test_hfno_needs_30_l_min(flow: float, meets: bool) -> None:
    result = _run(support="hfno", hfno_flow_l_min=flow, pf_ratio_mmhg=200, peep_cmh2o=None)
    assert result.meets is meets
    if meets:
        assert (result.category, result.severity) == ("non_intubated", None)


@pytest.mark.parametrize(("peep", "meets"), [(4.9, False), (5.0, True)])
def test_niv_needs_5_cmh2o(peep: float, meets: bool) -> None:
    assert _run(support="niv", peep_cmh2o=peep, pf_ratio_mmhg=150).meets is meets


def test_hfno_without_a_flow_is_missing() -> None:
    result = _run(support="hfno", pf_ratio_mmhg=150)
    assert result.meets is None
    assert result.as_dict()["missing"] == ["respiratory_support"]


@pytest.mark.parametrize(("sf", "meets"), [(315.1, False), (315.0, True), (314.9, True)])
def test_resource_limited_setting_uses_sf_at_most_315(sf: float, meets: bool) -> None:
    result = _run(support="none", peep_cmh2o=None, sf_ratio=sf, spo2_pct=95, resource_limited_setting=True)
    assert result.meets is meets


def test_resource_limited_setting_ignores_pf() -> None:
    result = _run(support="none", peep_cmh2o=None, pf_ratio_mmhg=150, resource_limited_setting=True)
    assert result.meets is None


def test_ultrasound_or_imaging_missing_is_reported_missing() -> None:
    result = _run(pf_ratio_mmhg=150, bilateral_opacities=None)
    assert result.meets is None
    assert result.as_dict()["missing"] == ["imaging"]


@given(st.floats(30, 3000), st.floats(30, 3000))
def test_a_lower_pf_never_gives_a_milder_intubated_grade(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert ORDER[_run(pf_ratio_mmhg=low).severity] >= ORDER[_run(pf_ratio_mmhg=high).severity]


@given(st.floats(50, 476), st.floats(50, 476))
def test_a_lower_sf_never_gives_a_milder_intubated_grade(a: float, b: float) -> None:
    low, high = sorted((a, b))
    low_grade = _run(sf_ratio=low, spo2_pct=90).severity
    high_grade = _run(sf_ratio=high, spo2_pct=90).severity
    assert ORDER[low_grade] >= ORDER[high_grade]
