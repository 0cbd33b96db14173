"""Trial statistics: proportions, risk ratios, Kaplan–Meier, log-rank, power.

Pure NumPy functions over outcome arrays, and the same estimates from
sufficient statistics (counts, running moments, fine histograms) so that a
trial of any size is analysed in memory bounded by one chunk of patients
(see :mod:`stromal.model.tally`). Conventions: ``events`` is a boolean array
(True = the event happened, e.g. death by day 28); times are in days;
confidence intervals are two-sided 95 % unless stated.

Only NumPy and :mod:`math` are imported (no SciPy): the normal and χ²(1)
tails are closed forms of ``erfc``, which keeps ``stromal trial`` start-up short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

#: 97.5th percentile of the standard normal (scipy.stats.norm.ppf(0.975)).
Z_95 = 1.959963984540054


def normal_sf(z: float) -> float:
    """Upper tail P(Z > z) of the standard normal: erfc(z / √2) / 2."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def chi2_1df_sf(x: float) -> float:
    """Upper tail of χ² with 1 degree of freedom: P(Z² > x) = erfc(√(x/2))."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2.0))


BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
#: Counts per time (deaths, censorings), integer or float.
CountArray = npt.NDArray[np.float64] | npt.NDArray[np.int64]


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
    moments = RunningMoments()
    moments.add(np.asarray(events_treated, np.float64) - np.asarray(events_control, np.float64))
    return moments.estimate()


def two_proportion_p_value(events_treated: int, n_treated: int, events_control: int, n_control: int) -> float:
    """Two-sided p value of the pooled two-proportion z test (= Pearson χ², 1 df)."""
    if n_treated == 0 or n_control == 0:
        return math.nan
    pooled = (events_treated + events_control) / (n_treated + n_control)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_treated + 1 / n_control))
    z = (events_treated / n_treated - events_control / n_control) / se
    return 2.0 * normal_sf(abs(z))


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
    """Kaplan–Meier survival from per-patient times (see :func:`kaplan_meier_counts`).

    ``time`` is time to death or censoring; ``event`` is True for a death.
    """
    grid, deaths, censored = _counts_on_grid(np.asarray(time, np.float64), np.asarray(event, bool))
    return kaplan_meier_counts(grid, deaths, censored)


def kaplan_meier_counts(time: FloatArray, deaths: CountArray, censored: CountArray) -> KaplanMeier:
    """Kaplan–Meier survival with Greenwood's variance and log(−log) 95 % CI, from counts.

    Kaplan EL, Meier P, J Am Stat Assoc 1958;53:457–81; Greenwood M, Reports
    on Public Health and Medical Subjects 33, 1926; the exponential-Greenwood
    (log −log) interval as in Kalbfleisch & Prentice 2002 and lifelines.
    ``time`` is an increasing grid; ``deaths[j]`` and ``censored[j]`` count
    patients who died or were censored at ``time[j]`` (censored patients are
    at risk at their own time, the usual convention). These counts are
    sufficient statistics: adding them chunk by chunk gives the same curve as
    the per-patient data.
    """
    time = np.asarray(time, np.float64)
    deaths = np.asarray(deaths, np.float64)
    censored = np.asarray(censored, np.float64)
    total = float(deaths.sum() + censored.sum())
    removed_before = np.concatenate([[0.0], np.cumsum(deaths + censored)[:-1]])
    has_death = deaths > 0
    at_risk = total - removed_before[has_death]
    d = deaths[has_death]
    survival = np.cumprod(1.0 - d / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(d / (at_risk * (at_risk - d)))
        log_s = np.log(survival)
        se_loglog = np.sqrt(greenwood) / np.abs(log_s)
        lower = np.exp(-np.exp(np.log(-log_s) + Z_95 * se_loglog))
        upper = np.exp(-np.exp(np.log(-log_s) - Z_95 * se_loglog))
    lower = np.where(survival > 0, lower, 0.0)
    upper = np.where(survival > 0, upper, 0.0)
    upper = np.where(np.isfinite(upper), upper, 1.0)
    lower = np.where(np.isfinite(lower), lower, 0.0)
    return KaplanMeier(
        time=np.concatenate([[0.0], time[has_death]]),
        survival=np.concatenate([[1.0], survival]),
        lower=np.concatenate([[1.0], lower]),
        upper=np.concatenate([[1.0], upper]),
        at_risk=np.concatenate([[total], at_risk]).astype(np.int64),
    )


def _counts_on_grid(
    time: FloatArray, event: BoolArray, grid: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Deaths and censorings at each distinct time (or at each time of ``grid``)."""
    grid = np.unique(time) if grid is None else grid
    deaths = _count_at(time[event], grid)
    censored = _count_at(time[~event], grid)
    return grid, deaths, censored


def logrank_test(time_a: FloatArray, event_a: BoolArray, time_b: FloatArray, event_b: BoolArray) -> float:
    """Two-sided log-rank p value from per-patient times (see :func:`logrank_counts`)."""
    time_a, time_b = np.asarray(time_a, np.float64), np.asarray(time_b, np.float64)
    event_a, event_b = np.asarray(event_a, bool), np.asarray(event_b, bool)
    grid = np.unique(np.concatenate([time_a, time_b]))
    _, deaths_a, censored_a = _counts_on_grid(time_a, event_a, grid)
    _, deaths_b, censored_b = _counts_on_grid(time_b, event_b, grid)
    return logrank_counts(deaths_a, censored_a, deaths_b, censored_b)


def logrank_counts(
    deaths_a: CountArray, censored_a: CountArray, deaths_b: CountArray, censored_b: CountArray
) -> float:
    """Two-sided p value of the log-rank test from counts on a shared time grid.

    Mantel N, Cancer Chemother Rep 1966;50:163–70; Peto R & Peto J, J R Stat
    Soc A 1972;135:185–207. Hypergeometric variance at each time with a death.
    """
    da, ca = np.asarray(deaths_a, np.float64), np.asarray(censored_a, np.float64)
    db, cb = np.asarray(deaths_b, np.float64), np.asarray(censored_b, np.float64)
    n_a = float(da.sum() + ca.sum()) - np.concatenate([[0.0], np.cumsum(da + ca)[:-1]])
    n_b = float(db.sum() + cb.sum()) - np.concatenate([[0.0], np.cumsum(db + cb)[:-1]])
    d = da + db
    keep = d > 0
    if not keep.any():
        return 1.0
    n, n_a, d, d_a = (n_a + n_b)[keep], n_a[keep], d[keep], da[keep]
    expected = d * n_a / n
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(n > 1, d * (n_a / n) * (1 - n_a / n) * (n - d) / (n - 1), 0.0)
    v = float(variance.sum())
    if v <= 0:
        return 1.0
    return chi2_1df_sf(float((d_a.sum() - expected.sum()) ** 2 / v))


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
    """Power by repeated simulated trials from per-patient events (see :func:`simulated_power_counts`)."""
    return simulated_power_counts(
        int(np.sum(events_treated)),
        len(events_treated),
        int(np.sum(events_control)),
        len(events_control),
        n_per_arm=n_per_arm,
        n_trials=n_trials,
        rng=rng,
        alpha=alpha,
    )


def simulated_power_counts(
    events_treated: int,
    n_treated: int,
    events_control: int,
    n_control: int,
    *,
    n_per_arm: int,
    n_trials: int,
    rng: np.random.Generator,
    alpha: float = 0.05,
    allocation: tuple[int, int] = (1, 1),
) -> Estimate:
    """Power by repeated simulated trials: the fraction with p < ``alpha``.

    Each simulated trial draws ``n_per_arm`` × the arm's ``allocation``
    weight (treated, control) virtual patients per arm with
    replacement from the simulated outcomes (a bootstrap of the virtual
    population) and tests 28-day mortality with the two-proportion z test.
    For a yes/no outcome the number of deaths among ``n_per_arm`` draws with
    replacement is exactly Binomial(n_per_arm, deaths / n), so only the
    counts are needed: no subsampling, whatever the trial size. The interval
    is the Wilson interval of the Monte-Carlo fraction, so it shows the
    Monte-Carlo error of the power estimate itself.
    """
    if n_trials == 0 or n_treated == 0 or n_control == 0:
        return Estimate(math.nan, (math.nan, math.nan))
    size_t, size_c = n_per_arm * allocation[0], n_per_arm * allocation[1]
    treated = rng.binomial(size_t, events_treated / n_treated, n_trials)
    control = rng.binomial(size_c, events_control / n_control, n_trials)
    hits = sum(
        two_proportion_p_value(int(a), size_t, int(c), size_c) < alpha
        for a, c in zip(treated, control, strict=True)
    )
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
    lo, hi = median_ci_ranks(n)
    return Estimate(float(np.median(v)), (float(v[lo]), float(v[hi])))


def median_ci_ranks(n: int) -> tuple[int, int]:
    """0-based ranks of the order statistics bounding the median's 95 % CI (Conover 1999)."""
    half = Z_95 * math.sqrt(n) / 2
    return max(math.floor(n / 2 - half), 0), min(math.ceil(n / 2 + half), n - 1)


def mean_ci(values: FloatArray) -> Estimate:
    """Mean with the normal 95 % CI (central limit theorem; trial-sized samples)."""
    moments = RunningMoments()
    moments.add(np.asarray(values, dtype=np.float64))
    return moments.estimate()


@dataclass
class RunningMoments:
    """Count, mean and sum of squared deviations, merged chunk by chunk.

    The pairwise update of Chan TF, Golub GH, LeVeque RJ, Am Stat
    1983;37:242–7, doi:10.1080/00031305.1983.10483115: numerically stable,
    unlike sum and sum of squares, for any number of chunks.
    """

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, values: FloatArray) -> None:
        """Fold in the finite ``values`` (NaN = no measurement, skipped)."""
        v = np.asarray(values, np.float64)
        v = v[np.isfinite(v)]
        if len(v):
            mean = float(v.mean())
            self.merge(RunningMoments(len(v), mean, float(np.sum((v - mean) ** 2))))

    def merge(self, other: RunningMoments) -> None:
        if other.n == 0:
            return
        n = self.n + other.n
        delta = other.mean - self.mean
        self.mean += delta * other.n / n
        self.m2 += other.m2 + delta * delta * self.n * other.n / n
        self.n = n

    def estimate(self) -> Estimate:
        """Mean with the normal 95 % CI."""
        if self.n == 0:
            return Estimate(math.nan, (math.nan, math.nan))
        se = math.sqrt(self.m2 / (self.n - 1) / self.n) if self.n > 1 else math.nan
        return Estimate(self.mean, (self.mean - Z_95 * se, self.mean + Z_95 * se))


@dataclass
class Histogram:
    """Counts of values in fixed bins ``[low + k·width, low + (k+1)·width)``.

    Quantiles read from it are exact to within ``width / 2``: every order
    statistic is reported as the midpoint of the bin that holds it, and a
    quantile between two order statistics interpolates linearly between them
    (as ``numpy.quantile``'s default does between the exact values). Values
    outside ``[low, high)`` go to the end bins and are counted in ``clipped``;
    the bound holds only while ``clipped`` is 0. NaN (no measurement, e.g.
    after death) is skipped. Memory is the number of bins, not of values, so
    medians of a million-patient trial are read chunk by chunk.
    """

    low: float
    high: float
    width: float
    counts: npt.NDArray[np.int64] = field(init=False, repr=False)
    clipped: int = 0

    def __post_init__(self) -> None:
        self.counts = np.zeros(self.n_bins, np.int64)

    @property
    def n_bins(self) -> int:
        return round((self.high - self.low) / self.width)

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def add(self, values: FloatArray) -> None:
        v = np.asarray(values, np.float64)
        v = v[np.isfinite(v)]
        index = np.floor((v - self.low) / self.width).astype(np.int64)
        outside = (index < 0) | (index >= self.n_bins)
        self.clipped += int(outside.sum())
        self.counts += np.bincount(np.clip(index, 0, self.n_bins - 1), minlength=self.n_bins)

    def merge(self, other: Histogram) -> None:
        if (other.low, other.high, other.width) != (self.low, self.high, self.width):
            raise ValueError("histograms with different bins cannot be merged")
        self.counts += other.counts
        self.clipped += other.clipped

    def value_at_rank(self, k: int) -> float:
        """The ``k``-th smallest value (0-based) as its bin's midpoint."""
        b = int(np.searchsorted(np.cumsum(self.counts), k, side="right"))
        return self.low + (b + 0.5) * self.width

    def quantile(self, q: float) -> float:
        """Quantile ``q`` in [0, 1] (linear between order statistics); NaN when empty."""
        n = self.n
        if n == 0:
            return math.nan
        position = q * (n - 1)
        below, above = math.floor(position), math.ceil(position)
        low, high = self.value_at_rank(below), self.value_at_rank(above)
        return low + (position - below) * (high - low)

    def median_ci(self) -> Estimate:
        """Median with the distribution-free 95 % CI of :func:`median_ci`."""
        n = self.n
        if n == 0:
            return Estimate(math.nan, (math.nan, math.nan))
        lo, hi = median_ci_ranks(n)
        return Estimate(self.quantile(0.5), (self.value_at_rank(lo), self.value_at_rank(hi)))


@dataclass(frozen=True)
class UncertaintyInterval:
    """A risk ratio pooled across posterior draws, with its 95 % uncertainty interval.

    ``value``: exp(μ), the random-effects mean of the per-draw log risk
    ratios; ``ui95``: exp(μ ± z √(τ² + SE(μ)²)); ``tau2``: the between-draw
    (parameter) variance of log RR; ``draws``: draws that had patients in
    both arms and a death in at least one.
    """

    value: float
    ui95: tuple[float, float]
    tau2: float
    se: float
    draws: int


def risk_ratio_across_draws(
    events_treated: npt.ArrayLike,
    n_treated: npt.ArrayLike,
    events_control: npt.ArrayLike,
    n_control: npt.ArrayLike,
) -> UncertaintyInterval | None:
    """Risk ratio with an interval that includes parameter uncertainty; ``None`` below 2 usable draws.

    Inputs are per posterior draw (arrays of equal length): the patients
    simulated with draw k's parameters give one log risk ratio and its Katz
    variance each. The draws are pooled as a random-effects meta-analysis
    with the DerSimonian-Laird between-draw variance τ² (DerSimonian R,
    Laird N, Control Clin Trials 1986;7:177-88,
    doi:10.1016/0197-2456(86)90046-2): τ² is the spread of the model's risk
    ratio across plausible parameter sets, beyond what the per-draw
    Monte-Carlo error explains. The 95 % uncertainty interval
    exp(μ ± z √(τ² + SE(μ)²)) covers where the model's risk ratio lies under
    parameter uncertainty plus the Monte-Carlo error of μ (a prediction
    interval for a new draw's true ratio, Higgins JPT, Thompson SG,
    Spiegelhalter DJ, J R Stat Soc A 2009;172:137-59,
    doi:10.1111/j.1467-985X.2008.00552.x, with z for t as K is chosen, not
    sampled). A draw with a zero cell gets 0.5 added to every cell. Trial
    summaries centre the interval on the whole trial's risk ratio instead
    (:func:`widened_interval`): with few deaths per draw the corrected
    per-draw ratios are pulled towards 1.
    """
    a, n1, c, n0 = (
        np.asarray(x, dtype=np.float64) for x in (events_treated, n_treated, events_control, n_control)
    )
    usable = (n1 > 0) & (n0 > 0) & ((a + c) > 0)
    a, n1, c, n0 = a[usable], n1[usable], c[usable], n0[usable]
    if len(a) < 2:
        return None
    zero = (a == 0) | (c == 0) | (a == n1) | (c == n0)
    a, c = np.where(zero, a + 0.5, a), np.where(zero, c + 0.5, c)
    n1, n0 = np.where(zero, n1 + 1.0, n1), np.where(zero, n0 + 1.0, n0)
    return _dersimonian_laird(np.log((a / n1) / (c / n0)), 1 / a - 1 / n1 + 1 / c - 1 / n0)


def paired_risk_ratio_across_draws(
    both: npt.ArrayLike, treated_only: npt.ArrayLike, control_only: npt.ArrayLike
) -> UncertaintyInterval | None:
    """As :func:`risk_ratio_across_draws`, from digital twins (every patient under both arms).

    Per draw, ``both`` patients die under either arm, ``treated_only`` only
    when treated, ``control_only`` only as controls. log RR =
    log((both + treated_only) / (both + control_only)) with the matched-pairs
    delta-method variance (treated_only + control_only) /
    ((both + treated_only)(both + control_only)) (Agresti A, Min Y, Stat Med
    2005;24:729-40). Twins share their death threshold, so most deaths are
    concordant and each draw's ratio is far less noisy than from randomised
    halves: the between-draw variance τ² is then mostly parameter
    uncertainty. A draw with an empty cell gets 0.5 added to each.
    """
    a, b, c = (np.asarray(x, dtype=np.float64) for x in (both, treated_only, control_only))
    usable = (a + b + c) > 0
    a, b, c = a[usable], b[usable], c[usable]
    if len(a) < 2:
        return None
    zero = (b == 0) | (c == 0) | (a + b == 0) | (a + c == 0)
    a, b, c = np.where(zero, a + 0.5, a), np.where(zero, b + 0.5, b), np.where(zero, c + 0.5, c)
    return _dersimonian_laird(np.log((a + b) / (a + c)), (b + c) / ((a + b) * (a + c)))


def _dersimonian_laird(y: FloatArray, v: FloatArray) -> UncertaintyInterval:
    """Random-effects pooling of estimates ``y`` with within variances ``v`` (DerSimonian-Laird)."""
    k = len(y)
    w = 1 / v
    fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - fixed) ** 2))
    tau2 = max(0.0, (q - (k - 1)) / (float(np.sum(w)) - float(np.sum(w**2)) / float(np.sum(w))))
    w_re = 1 / (v + tau2)
    mu = float(np.sum(w_re * y) / np.sum(w_re))
    se = math.sqrt(1 / float(np.sum(w_re)))
    half = Z_95 * math.sqrt(tau2 + se * se)
    return UncertaintyInterval(math.exp(mu), (math.exp(mu - half), math.exp(mu + half)), tau2, se, k)


def widened_interval(rr: float, se_log: float, tau2: float) -> tuple[float, float]:
    """exp(log rr ± z √(se² + τ²)): a Katz interval widened by the between-draw variance τ²."""
    if not (rr > 0 and math.isfinite(rr) and math.isfinite(se_log)):
        return (math.nan, math.nan)
    half = Z_95 * math.sqrt(se_log * se_log + tau2)
    return (rr * math.exp(-half), rr * math.exp(half))


def katz_se(events_treated: int, n_treated: int, events_control: int, n_control: int) -> float:
    """SE of log RR (Katz), with the same zero-cell correction as :func:`risk_ratio`."""
    if n_treated == 0 or n_control == 0:
        return math.nan
    a, n1, c, n0 = float(events_treated), float(n_treated), float(events_control), float(n_control)
    if a == 0 or c == 0 or a == n1 or c == n0:
        a, c, n1, n0 = a + 0.5, c + 0.5, n1 + 1.0, n0 + 1.0
    return math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
