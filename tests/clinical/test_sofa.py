"""SOFA: every system's thresholds, the support rule, partial totals, monotonicity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.sofa import (
    sofa_cardiovascular,
    sofa_cns,
    sofa_coagulation,
    sofa_liver,
    sofa_renal,
    sofa_respiratory,
    sofa_score,
)


@pytest.mark.parametrize(
    ("pf", "support", "points"),
    [
        (400, True, 0),
        (399.9, True, 1),
        (300, True, 1),
        (299.9, True, 2),
        (200, True, 2),
        (199.9, True, 3),
        (199.9, False, 2),
        (100, True, 3),
        (99.9, True, 4),
        (50, False, 2),
    ],
)
def test_respiratory_bands_and_the_support_rule(pf: float, support: bool, points: int) -> None:
    assert sofa_respiratory(pf, support) == points


@pytest.mark.parametrize(
    ("platelets", "points"),
    [(150, 0), (149.9, 1), (100, 1), (99.9, 2), (50, 2), (49.9, 3), (20, 3), (19.9, 4)],
)
def test_coagulation_bands(platelets: float, points: int) -> None:
    assert sofa_coagulation(platelets) == points


@pytest.mark.parametrize(
    ("bilirubin", "points"),
    [(1.19, 0), (1.2, 1), (1.99, 1), (2.0, 2), (5.99, 2), (6.0, 3), (11.99, 3), (12.0, 4)],
)
def test_liver_bands(bilirubin: float, points: int) -> None:
    assert sofa_liver(bilirubin) == points


@pytest.mark.parametrize(
    ("kwargs", "points"),
    [
        ({"map_mmhg": 70}, 0),
        ({"map_mmhg": 69.9}, 1),
        ({"map_mmhg": 80, "dopamine_ug_kg_min": 5}, 2),
        ({"map_mmhg": 80, "dobutamine_ug_kg_min": 2}, 2),
        ({"map_mmhg": 80, "dopamine_ug_kg_min": 5.1}, 3),
        ({"map_mmhg": None, "norepinephrine_ug_kg_min": 0.1}, 3),
        ({"map_mmhg": None, "epinephrine_ug_kg_min": 0.1}, 3),
        ({"map_mmhg": None, "norepinephrine_ug_kg_min": 0.11}, 4),
        ({"map_mmhg": None, "epinephrine_ug_kg_min": 0.11}, 4),
        ({"map_mmhg": None, "dopamine_ug_kg_min": 15}, 3),
        ({"map_mmhg": None, "dopamine_ug_kg_min": 15.1}, 4),
        ({"map_mmhg": None}, None),
    ],
)
def test_cardiovascular_bands(kwargs: dict[str, float | None], points: int | None) -> None:
    assert sofa_cardiovascular(**kwargs) == points  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gcs", "points"), [(15, 0), (14, 1), (13, 1), (12, 2), (10, 2), (9, 3), (6, 3), (5, 4), (3, 4)]
)
def test_cns_bands(gcs: int, points: int) -> None:
    assert sofa_cns(gcs) == points


@pytest.mark.parametrize(
    ("creatinine", "urine", "points"),
    [
        (1.19, None, 0),
        (1.2, None, 1),
        (2.0, None, 2),
        (3.49, None, 2),
        (3.5, None, 3),
        (4.99, None, 3),
        (5.0, None, 4),
        (None, 500, 0),
        (None, 499, 3),
        (None, 200, 3),
        (None, 199, 4),
        (1.0, 150, 4),
        (None, None, None),
    ],
)
def test_renal_takes_the_worse_of_creatinine_and_urine_output(
    creatinine: float | None, urine: float | None, points: int | None
) -> None:
    assert sofa_renal(creatinine, urine) == points


def test_missing_systems_are_listed_and_never_counted_as_zero() -> None:
    result = sofa_score(platelets_10e3_per_ul=40)
    assert result.total == 3
    assert result.components == {"coagulation": 3}
    assert set(result.missing) == {"respiratory", "liver", "cardiovascular", "cns", "renal"}
    assert not result.complete


def test_low_pf_without_known_support_leaves_respiratory_missing() -> None:
    result = sofa_score(pf_ratio_mmhg=150)
    assert "respiratory" in result.missing
    assert result.total is None


def test_hfno_is_not_respiratory_support_for_sofa() -> None:
    assert sofa_score(pf_ratio_mmhg=90, support="hfno").components["respiratory"] == 2
    assert sofa_score(pf_ratio_mmhg=90, support="niv").components["respiratory"] == 4


@given(st.floats(20, 3000), st.floats(20, 3000), st.booleans())
def test_respiratory_score_never_increases_with_pf(a: float, b: float, support: bool) -> None:
    low, high = sorted((a, b))
    assert sofa_respiratory(low, support) >= sofa_respiratory(high, support)


@given(st.floats(0, 2000), st.floats(0, 2000))
def test_coagulation_score_never_increases_with_platelets(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert sofa_coagulation(low) >= sofa_coagulation(high)


def test_a_partial_sofa_says_why_each_system_was_not_scored_and_cites_its_source() -> None:
    from stromal.clinical.sofa import SOURCE, sofa_score

    out = sofa_score(pf_ratio_mmhg=250.0, support="invasive").as_dict()
    assert out["complete"] is False
    assert out["missing_reasons"]["liver"] == "needs bilirubin_mg_dl or bilirubin_umol_l"
    assert out["source"] == SOURCE


@pytest.mark.parametrize("drug", ["dopamine_ug_kg_min", "dobutamine_ug_kg_min"])
def test_any_dose_of_dopamine_or_dobutamine_scores_two(drug: str) -> None:
    from stromal.clinical.sofa import sofa_cardiovascular

    assert sofa_cardiovascular(map_mmhg=80.0, **{drug: 0.5}) == 2
