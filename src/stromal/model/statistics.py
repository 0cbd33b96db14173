"""Trial statistics: proportions, risk ratios, Kaplan–Meier, log-rank, power.

Pure NumPy functions over outcome arrays. Conventions: ``events`` is a
boolean array (True = the event happened, e.g. death by day 28); times are
in days; confidence intervals are two-sided 95 % unless stated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

Z_95 = float(stats.norm.ppf(0.975))

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    value: float
    ci95: tuple[float, float]


def wilson_interval(events: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval for a proportion.

    Wilson EB, J Am Stat Assoc 1927;22:209–12, doi:10.1080/01621459.1927.10502953.
    Behaves well near 0 and 1, unlike the Wald interval. ``(nan, nan)`` for n = 0.
    """
    if n == 0:
        return (math.nan, math.nan)
    p = events / n
    z2 = Z_95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def risk_ratio(events_treated: int, n_treated: int, events_control: int, n_control: int) -> Estimate:
    """Risk ratio treated / control with the 95 % log (Katz) interval.

    SE(log RR) = sqrt(1/a − 1/n1 + 1/c − 1/n0) (Katz D, Baptista J, Azen SP,
    Pike MC, Biometrics 1978;34:469–74, doi:10.2307/2530610). With a zero
    cell, 0.5 is added to every cell (Haldane–Anscombe correction), as is
    conventional in meta-analysis software.
    """
    if n_treated == 0 or n_control == 0:
        return Estimate(math.nan, (math.nan, math.nan))
    a, n1, c, n0 = float(events_treated), float(n_treated), float(events_control), float(n_control)
    if a == 0 or c == 0 or a == n1 or c == n0:
        a, c, n1, n0 = a + 0.5, c + 0.5, n1 + 1.0, n0 + 1.0
    rr = (a / n1) / (c / n0)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return Estimate(rr, (rr * math.exp(-Z_95 * se), rr * math.exp(Z_95 * se)))


def risk_difference(events_treated: int, n_treated: int, events_control: int, n_control: int) -> Estimate:
    """Risk difference treated − control with the 95 % Wald interval.

    SE = sqrt(p1(1−p1)/n1 + p0(1−p0)/n0) (Agresti A, Categorical Data
    Analysis, 3rd ed., Wiley 2013, §3.1). Adequate at trial sizes; for very
    small arms read the Wilson intervals of each arm instead.
    """
    if n_treated == 0 or n_control == 0:
        return Estimate(math.nan, (math.nan, math.nan))
    p1, p0 = events_treated / n_treated, events_control / n_control
    se = math.sqrt(p1 * (1 - p1) / n_treated + p0 * (1 - p0) / n_control)
    d = p1 - p0
    return Estimate(d, (d - Z_95 * se, d + Z_95 * se))


def paired_risk_difference(events_treated: BoolArray, events_control: BoolArray) -> Estimate:
    """Risk difference on the same patients under two arms (digital twins).

    Mean of the per-patient differences with its normal 95 % interval; the
    pairing removes between-patient variance (the paired-proportions variance
    of McNemar Q, Psychometrika 1947;12:153–7, doi:10.1007/BF02295996).
    """
    n = len(events_treated)
    if n == 0:
        return Estimate(math.nan, (math.nan, math.nan))
    d = events_treated.astype(np.float64) - events_control.astype(np.float64)
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return Estimate(mean, (mean - Z_95 * se, mean + Z_95 * se))


def two_proportion_p_value(events_treated: int, n_treated: int, events_control: int, n_control: int) -> float:
    """Two-sided p value of the pooled two-proportion z test (= Pearson χ², 1 df)."""
    if n_treated == 0 or n_control == 0:
        return math.nan
    pooled = (events_treated + events_control) / (n_treated + n_control)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_treated + 1 / n_control))
    z = (events_treated / n_treated - events_control / n_control) / se
    return float(2 * stats.norm.sf(abs(z)))


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan–Meier estimate at the distinct event times (a step function)."""

    time: FloatArray  # event times, with 0 first
    survival: FloatArray
    lower: FloatArray
    upper: FloatArray
    at_risk: npt.NDArray[np.int64]

    def at(self, t: float) -> float:
        """Survival probability at time ``t`` (right-continuous step)."""
        index = int(np.searchsorted(self.time, t, side="right")) - 1
        return float(self.survival[max(index, 0)])


def kaplan_meier(time: FloatArray, event: BoolArray) -> KaplanMeier:
    """Kaplan–Meier survival with Greenwood's variance and log(−log) 95 % CI.

    Kaplan EL, Meier P, J Am Stat Assoc 1958;53:457–81; Greenwood M, Reports
    on Public Health and Medical Subjects 33, 1926; the exponential-Greenwood
    (log −log) interval as in Kalbfleisch & Prentice 2002 and lifelines.
    ``time`` is time to death or censoring; ``event`` is True for a death.
    """
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    death_times, deaths = np.unique(time[event], return_counts=True)
    at_risk = _at_risk(time, death_times)
    factor = 1.0 - deaths / at_risk
    survival = np.cumprod(factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(deaths / (at_risk * (at_risk - deaths)))
        log_s = np.log(survival)
        se_loglog = np.sqrt(greenwood) / np.abs(log_s)
        lower = np.exp(-np.exp(np.log(-log_s) + Z_95 * se_loglog))
        upper = np.exp(-np.exp(np.log(-log_s) - Z_95 * se_loglog))
    lower = np.where(survival > 0, lower, 0.0)
    upper = np.where(survival > 0, upper, 0.0)
    upper = np.where(np.isfinite(upper), upper, 1.0)
    lower = np.where(np.isfinite(lower), lower, 0.0)
    return KaplanMeier(
        time=np.concatenate([[0.0], death_times]),
        survival=np.concatenate([[1.0], survival]),
        lower=np.concatenate([[1.0], lower]),
        upper=np.concatenate([[1.0], upper]),
        at_risk=np.concatenate([[len(time)], at_risk]).astype(np.int64),
    )


def _at_risk(time: FloatArray, at: FloatArray) -> npt.NDArray[np.int64]:
    ordered = np.sort(time)
    return (len(time) - np.searchsorted(ordered, at, side="left")).astype(np.int64)


def logrank_test(time_a: FloatArray, event_a: BoolArray, time_b: FloatArray, event_b: BoolArray) -> float:
    """Two-sided p value of the log-rank test comparing two survival curves.

    Mantel N, Cancer Chemother Rep 1966;50:163–70; Peto R & Peto J, J R Stat
    Soc A 1972;135:185–207. Hypergeometric variance at each distinct death time.
    """
    time = np.concatenate([time_a, time_b]).astype(np.float64)
    event = np.concatenate([event_a, event_b]).astype(bool)
    group_a = np.concatenate([np.ones(len(time_a), bool), np.zeros(len(time_b), bool)])
    death_times = np.unique(time[event])
    if len(death_times) == 0:
        return 1.0
    n = _at_risk(time, death_times).astype(np.float64)
    n_a = _at_risk(time[group_a], death_times).astype(np.float64)
    d = _count_at(time[event], death_times)
    d_a = _count_at(time[event & group_a], death_times)
    expected = d * n_a / n
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(n > 1, d * (n_a / n) * (1 - n_a / n) * (n - d) / (n - 1), 0.0)
    v = float(variance.sum())
    if v <= 0:
        return 1.0
    chi2 = float((d_a.sum() - expected.sum()) ** 2 / v)
    return float(stats.chi2.sf(chi2, 1))


def _count_at(times: FloatArray, at: FloatArray) -> FloatArray:
    ordered = np.sort(times)
    return (np.searchsorted(ordered, at, side="right") - np.searchsorted(ordered, at, side="left")).astype(
        np.float64
    )


def simulated_power(
    events_treated: BoolArray,
    events_control: BoolArray,
    *,
    n_per_arm: int,
    n_trials: int,
    rng: np.random.Generator,
    alpha: float = 0.05,
) -> Estimate:
    """Power by repeated simulated trials: the fraction with p < ``alpha``.

    Each simulated trial draws ``n_per_arm`` virtual patients per arm with
    replacement from the simulated outcomes (a parametric bootstrap of the
    virtual population) and tests 28-day mortality with the two-proportion z
    test. The interval is the Wilson interval of the Monte-Carlo fraction, so
    it shows the Monte-Carlo error of the power estimate itself.
    """
    if n_trials == 0 or len(events_treated) == 0 or len(events_control) == 0:
        return Estimate(math.nan, (math.nan, math.nan))
    hits = 0
    for _ in range(n_trials):
        a = int(events_treated[rng.integers(0, len(events_treated), n_per_arm)].sum())
        c = int(events_control[rng.integers(0, len(events_control), n_per_arm)].sum())
        if two_proportion_p_value(a, n_per_arm, c, n_per_arm) < alpha:
            hits += 1
    return Estimate(hits / n_trials, wilson_interval(hits, n_trials))


def median_ci(values: FloatArray) -> Estimate:
    """Median with its distribution-free 95 % CI from order statistics.

    Conover WJ, Practical Nonparametric Statistics, 3rd ed., 1999, §3.2:
    ranks n/2 ± 1.96·sqrt(n)/2.
    """
    v = np.sort(np.asarray(values, dtype=np.float64)[np.isfinite(values)])
    n = len(v)
    if n == 0:
        return Estimate(math.nan, (math.nan, math.nan))
    half = Z_95 * math.sqrt(n) / 2
    lo = max(math.floor(n / 2 - half), 0)
    hi = min(math.ceil(n / 2 + half), n - 1)
    return Estimate(float(np.median(v)), (float(v[lo]), float(v[hi])))


def mean_ci(values: FloatArray) -> Estimate:
    """Mean with the normal 95 % CI (central limit theorem; trial-sized samples)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return Estimate(math.nan, (math.nan, math.nan))
    mean = float(v.mean())
    se = float(v.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return Estimate(mean, (mean - Z_95 * se, mean + Z_95 * se))
