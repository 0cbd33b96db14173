"""Trial statistics against hand-computed values and lifelines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test as lifelines_logrank

from stromal.model import statistics as st


def test_risk_ratio_matches_the_katz_log_interval_computed_by_hand() -> None:
    # 30/100 deaths treated vs 40/100 control: RR 0.75,
    # SE(log RR) = sqrt(1/30 - 1/100 + 1/40 - 1/100) = 0.19579
    est = st.risk_ratio(30, 100, 40, 100)
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 40 - 1 / 100)
    assert est.value == pytest.approx(0.75)
    assert est.ci95[0] == pytest.approx(0.75 * math.exp(-1.959964 * se), rel=1e-6)
    assert est.ci95[1] == pytest.approx(0.75 * math.exp(1.959964 * se), rel=1e-6)
    assert est.ci95 == pytest.approx((0.5110, 1.1008), abs=1e-4)


def test_risk_ratio_with_a_zero_cell_uses_the_half_correction_and_stays_finite() -> None:
    est = st.risk_ratio(0, 20, 5, 20)
    assert est.value == pytest.approx((0.5 / 21) / (5.5 / 21))
    assert all(math.isfinite(x) for x in est.ci95)


def test_risk_difference_and_wilson_interval_match_hand_values() -> None:
    rd = st.risk_difference(30, 100, 40, 100)
    se = math.sqrt(0.3 * 0.7 / 100 + 0.4 * 0.6 / 100)
    assert rd.value == pytest.approx(-0.1)
    assert rd.ci95 == pytest.approx((-0.1 - 1.959964 * se, -0.1 + 1.959964 * se), rel=1e-6)
    # Wilson 95 % CI of 27/100 by hand: centre (0.27 + 1.96²/200) / (1 + 1.96²/100) = 0.27851,
    # half-width 1.96 * sqrt(0.27 * 0.73 / 100 + 1.96² / 40000) / 1.038415 = 0.08582
    assert st.wilson_interval(27, 100) == pytest.approx((0.1927, 0.3643), abs=1e-4)


def test_kaplan_meier_and_greenwood_interval_agree_with_lifelines() -> None:
    rng = np.random.default_rng(3)
    time = np.round(rng.exponential(30, 200), 1)
    event = rng.random(200) < 0.7
    ours = st.kaplan_meier(time, event)
    kmf = KaplanMeierFitter().fit(time, event)
    for t in (1.0, 10.0, 25.0, 60.0):
        assert ours.at(t) == pytest.approx(float(kmf.survival_function_at_times(t).iloc[0]), abs=1e-12)
    ci = kmf.confidence_interval_survival_function_
    for i, t in enumerate(ours.time[1:6], start=1):
        assert ours.lower[i] == pytest.approx(float(ci.loc[t].iloc[0]), abs=1e-9)
        assert ours.upper[i] == pytest.approx(float(ci.loc[t].iloc[1]), abs=1e-9)


def test_logrank_p_value_agrees_with_lifelines() -> None:
    rng = np.random.default_rng(5)
    ta, tb = rng.exponential(20, 150), rng.exponential(30, 150)
    ea, eb = rng.random(150) < 0.8, rng.random(150) < 0.8
    ours = st.logrank_test(ta, ea, tb, eb)
    theirs = lifelines_logrank(ta, tb, event_observed_A=ea, event_observed_B=eb).p_value
    assert ours == pytest.approx(theirs, rel=1e-9)


def test_power_is_high_for_a_large_effect_and_near_alpha_for_none() -> None:
    rng = np.random.default_rng(11)
    control = rng.random(5000) < 0.40
    treated = rng.random(5000) < 0.20
    strong = st.simulated_power(treated, control, n_per_arm=200, n_trials=200, rng=rng)
    null = st.simulated_power(control, control, n_per_arm=200, n_trials=400, rng=rng)
    assert strong.value > 0.95
    assert null.value < 0.12


def test_paired_risk_difference_is_narrower_than_the_unpaired_one_on_twins() -> None:
    rng = np.random.default_rng(2)
    frailty = rng.random(2000)
    control = frailty < 0.4
    treated = frailty < 0.3  # same patients, fewer deaths
    paired = st.paired_risk_difference(treated, control)
    unpaired = st.risk_difference(int(treated.sum()), 2000, int(control.sum()), 2000)
    assert paired.value == pytest.approx(unpaired.value)
    assert paired.ci95[1] - paired.ci95[0] < unpaired.ci95[1] - unpaired.ci95[0]


def test_histogram_quantiles_are_within_half_a_bin_of_the_exact_ones() -> None:
    rng = np.random.default_rng(7)
    values = rng.lognormal(np.log(150), 0.4, 5001)
    hist = st.Histogram(0.0, 1000.0, 0.5)
    for part in np.array_split(values, 7):  # folded in chunk by chunk
        hist.add(np.append(part, np.nan))  # NaN = no measurement, skipped
    assert hist.n == 5001 and hist.clipped == 0
    for q in (0.1, 0.5, 0.9):
        assert abs(hist.quantile(q) - np.quantile(values, q)) <= 0.25
    exact = st.median_ci(values)
    binned = hist.median_ci()
    assert abs(binned.value - exact.value) <= 0.25
    assert all(abs(b - e) <= 0.25 for b, e in zip(binned.ci95, exact.ci95, strict=True))


def test_histogram_counts_values_outside_its_range_as_clipped() -> None:
    hist = st.Histogram(0.0, 10.0, 1.0)
    hist.add(np.array([-1.0, 5.2, 12.0]))
    assert hist.clipped == 2 and hist.n == 3
    assert hist.quantile(0.5) == 5.5


def test_running_moments_merged_chunk_by_chunk_equal_the_whole_sample() -> None:
    rng = np.random.default_rng(1)
    values = 1e6 + rng.normal(0, 3, 10_000)  # a large offset would break sum-of-squares
    moments = st.RunningMoments()
    for part in np.array_split(values, 13):
        moments.add(part)
    assert moments.n == 10_000
    assert moments.mean == pytest.approx(values.mean(), rel=1e-14)
    assert moments.m2 / (moments.n - 1) == pytest.approx(values.var(ddof=1), rel=1e-9)
    assert st.mean_ci(values).ci95 == pytest.approx(moments.estimate().ci95, rel=1e-12)


def test_kaplan_meier_and_logrank_from_counts_equal_the_per_patient_versions() -> None:
    rng = np.random.default_rng(3)
    grid = np.arange(0, 901, dtype=np.float64) * 0.1
    ta, tb = np.round(rng.exponential(30, 300), 1), np.round(rng.exponential(45, 300), 1)
    ta, tb = np.minimum(ta, 90.0), np.minimum(tb, 90.0)
    ea, eb = ta < 90.0, tb < 90.0
    counts_a = [np.bincount(np.round(t[e] * 10).astype(int), minlength=901) for t, e in ((ta, ea), (ta, ~ea))]
    counts_b = [np.bincount(np.round(t[e] * 10).astype(int), minlength=901) for t, e in ((tb, eb), (tb, ~eb))]
    km = st.kaplan_meier_counts(grid, *counts_a)
    raw = st.kaplan_meier(ta, ea)
    for t in (5.0, 28.0, 60.0, 90.0):
        assert km.at(t) == pytest.approx(raw.at(t), abs=1e-12)
    assert st.logrank_counts(*counts_a, *counts_b) == pytest.approx(st.logrank_test(ta, ea, tb, eb), rel=1e-9)


def test_power_from_counts_matches_power_from_the_outcome_arrays_in_distribution() -> None:
    treated = np.zeros(1000, bool)
    treated[:250] = True
    control = np.zeros(1000, bool)
    control[:400] = True
    from_arrays = st.simulated_power(
        treated, control, n_per_arm=150, n_trials=400, rng=np.random.default_rng(1)
    )
    from_counts = st.simulated_power_counts(
        250, 1000, 400, 1000, n_per_arm=150, n_trials=400, rng=np.random.default_rng(2)
    )
    # Both estimate the same power (normal approximation: Φ(0.15 / 0.0534 − 1.96) ≈ 0.80); they differ only by Monte-Carlo error.
    assert abs(from_arrays.value - from_counts.value) < 0.08
    assert from_counts.ci95[0] < 0.80 < from_counts.ci95[1]


def test_power_of_a_2_to_1_trial_uses_twice_the_patients_in_the_treated_arm() -> None:
    from scipy.stats import norm

    rng = np.random.default_rng(5)
    equal = st.simulated_power_counts(200, 1000, 400, 1000, n_per_arm=30, n_trials=4000, rng=rng)
    two_to_one = st.simulated_power_counts(
        200, 1000, 400, 1000, n_per_arm=30, n_trials=4000, rng=rng, allocation=(2, 1)
    )
    assert two_to_one.value > equal.value + 0.08

    def normal_power(n_t: int, n_c: int) -> float:  # Wald approximation, unpooled SE
        se = np.sqrt(0.2 * 0.8 / n_t + 0.4 * 0.6 / n_c)
        return float(norm.cdf(0.2 / se - 1.959964))

    assert two_to_one.value == pytest.approx(normal_power(60, 30), abs=0.07)
    assert equal.value == pytest.approx(normal_power(30, 30), abs=0.07)
