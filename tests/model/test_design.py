"""Trialists' designs against published values: group-sequential constants (Jennison C, Turnbull BW,
Group Sequential Methods with Applications to Clinical Trials, Chapman & Hall 2000, Tables 2.1 and
2.3), the two-proportion sample size, and the analyses' edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stromal.model import design

# Two-sided alpha 0.05, equally spaced looks: Pocock C_P(K) and O'Brien-Fleming C_B(K) (final boundary).
# The multivariate normal probability is computed by SciPy's quasi-Monte-Carlo (Genz), so 3 decimals.
PUBLISHED = [
    (2, "pocock", 2.178),
    (5, "pocock", 2.413),
    (2, "obrien_fleming", 1.977),
    (5, "obrien_fleming", 2.040),
]


@pytest.mark.parametrize(("looks", "method", "constant"), PUBLISHED)
def test_group_sequential_boundaries_match_the_published_constants(
    looks: int, method: str, constant: float
) -> None:
    b = design.group_sequential_boundaries(looks, method=method)
    assert b.efficacy_z[-1] == pytest.approx(constant, abs=3e-3)
    if method == "obrien_fleming":
        assert b.efficacy_z[0] == pytest.approx(constant * np.sqrt(looks), abs=5e-3)
    assert b.futility_z[-1] is None and all(f is not None for f in b.futility_z[:-1])
    assert all(f < e for f, e in zip(b.futility_z[:-1], b.efficacy_z[:-1], strict=False))  # type: ignore[operator]


def test_an_unknown_boundary_method_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="method: must be pocock or obrien_fleming"):
        design.group_sequential_boundaries(3, method="haybittle")


def test_two_proportions_need_294_per_arm_for_30_against_20_percent() -> None:
    # Fleiss, Levin, Paik 2003 §4.2 without continuity correction: 293.1 → 294.
    assert design.normal_sample_size(0.3, 0.2, power=0.8) == 294
    assert design.normal_sample_size(0.2, 0.2, power=0.8) is None


def test_the_simulated_sample_size_reaches_its_target_near_the_normal_approximation() -> None:
    found = design.sample_size_search(60, 300, 90, 300, target_power=0.8, n_trials=400)
    assert found.n_per_arm is not None and found.simulated_power is not None
    assert found.simulated_power >= 0.8
    assert abs(found.n_per_arm - 294) < 60


def test_no_difference_never_reaches_the_target_power() -> None:
    found = design.sample_size_search(30, 300, 30, 300, max_n_per_arm=2000, n_trials=100)
    assert found.n_per_arm is None and found.searched_up_to == 2000


def test_odds_ratio_and_cox_hazard_ratio_have_intervals_around_their_estimates() -> None:
    odds = design.odds_ratio(10, 50, 20, 50)
    assert odds.value is not None and odds.ci95[0] < odds.value < odds.ci95[1]  # type: ignore[operator]
    rng = np.random.default_rng(3)
    time = np.concatenate([rng.exponential(60, 200), rng.exponential(30, 200)])
    died = time < 90
    hr = design.cox_hazard_ratio(np.minimum(time, 90), died, np.repeat([1, 0], 200))
    assert hr.value is not None and 0.35 < hr.value < 0.75  # true hazard ratio 0.5
    assert hr.ci95[0] < hr.value < hr.ci95[1]  # type: ignore[operator]


def test_ventilator_free_days_rank_test_and_paired_difference() -> None:
    rank = design.ventilator_free_days_test([20, 22, 25, 26], [0, 0, 3, 5])
    assert rank.probability_treated_more == 1.0 and rank.p_value is not None and rank.p_value < 0.05
    paired = design.paired_difference([1, 0, 0, 1, 0], [1, 1, 0, 1, 1])
    assert paired.risk_difference == pytest.approx(-0.4) and paired.mcnemar_p == pytest.approx(0.5)


def test_subgroup_interactions_are_holm_adjusted_over_the_subgroupings_tested() -> None:
    rows = []
    for severity, (p_t, p_c) in {"mild": (0.1, 0.2), "severe": (0.5, 0.5)}.items():
        for arm, p in (("msc", p_t), ("control", p_c)):
            for i in range(100):
                rows.append(
                    {
                        "arm": arm,
                        "assigned": True,
                        "died_28d": float(i < p * 100),
                        "severity": severity,
                        "aetiology": "viral",
                    }
                )
    found = design.subgroup_interactions(pd.DataFrame(rows), "msc", "control", ["severity", "aetiology"])
    by_name = {i.subgrouping: i for i in found}
    assert by_name["severity"].levels["mild"].value == pytest.approx(0.5)
    assert by_name["aetiology"].p_interaction is None  # one level: nothing to compare
    assert by_name["severity"].p_holm == by_name["severity"].p_interaction  # one test
