"""Trialists' designs and analyses beside the trial summary: pure functions of per-patient outcomes.

* :func:`sample_size_search`: the smallest ``n_per_arm`` whose simulated power (the engine's own
  ``statistics.simulated_power_counts``, a bootstrap of the virtual patients) reaches a target,
  by bisection; with the normal-approximation sample size for two proportions beside it
  (Fleiss JL, Levin B, Paik MC, Statistical Methods for Rates and Proportions, 3rd ed. 2003, §4.2,
  without continuity correction).
* :func:`group_sequential_boundaries`: two-sided efficacy boundaries on the z scale at equally
  spaced looks, Pocock (one constant; Pocock SJ, Biometrika 1977;64:191-9,
  doi:10.1093/biomet/64.2.191) or O'Brien-Fleming (``c·sqrt(K/k)``; O'Brien PC, Fleming TR,
  Biometrics 1979;35:549-56, doi:10.2307/2530245), the constant found so that the overall type I
  error is ``alpha`` under the canonical joint distribution (corr(Z_i, Z_j) = sqrt(t_i / t_j));
  with non-binding futility boundaries where the conditional power under the design's effect
  falls below ``futility_conditional_power`` (Lachin JM, Control Clin Trials 2005;26:263-82,
  doi:10.1016/j.cct.2005.01.010, §3).
* :func:`cox_hazard_ratio` (lifelines ``CoxPHFitter``), :func:`odds_ratio` (SciPy, conditional
  maximum likelihood with its exact interval) beside the risk ratio the summary reports.
* :func:`ventilator_free_days_test`: Wilcoxon-Mann-Whitney rank test of ventilator-free days (the
  usual analysis of VFDs, deaths scored 0; Yehya N et al., Am J Respir Crit Care Med
  2019;200:828-36, doi:10.1164/rccm.201810-2050CP), with the probability that a treated patient
  has more VFDs than a control (ties counted half).
* :func:`paired_difference`: the paired ("digital twin") risk difference with its 95 % interval
  (normal approximation of the mean of per-patient differences) and McNemar's exact test.
* :func:`subgroup_interactions`: per subgrouping, the test of heterogeneity of the log risk ratio
  across its levels (Cochran's Q; for two levels the z test of the difference, Altman DG, Bland JM,
  BMJ 2003;326:219, doi:10.1136/bmj.326.7382.219), Holm-adjusted over the subgroupings tested
  (Holm S, Scand J Stat 1979;6:65-70); the number of tests is stated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SampleSize:
    target_power: float
    n_per_arm: int | None  # None: not reached up to ``max_n_per_arm``
    simulated_power: float | None
    normal_approximation_n_per_arm: int | None
    searched_up_to: int


def normal_sample_size(
    p_treated: float, p_control: float, *, power: float, alpha: float = 0.05
) -> int | None:
    """Patients per arm for the two-sided z test of two proportions (1:1); None when they are equal."""
    if p_treated == p_control or not (0 < p_treated < 1 and 0 < p_control < 1):
        return None
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    p_bar = (p_treated + p_control) / 2
    numerator = z_a * math.sqrt(2 * p_bar * (1 - p_bar)) + z_b * math.sqrt(
        p_treated * (1 - p_treated) + p_control * (1 - p_control)
    )
    return math.ceil(float(numerator / (p_treated - p_control)) ** 2)


def sample_size_search(
    events_treated: int,
    n_treated: int,
    events_control: int,
    n_control: int,
    *,
    target_power: float = 0.8,
    alpha: float = 0.05,
    n_trials: int = 400,
    max_n_per_arm: int = 20_000,
    seed: int = 0,
) -> SampleSize:
    """Bisection on ``n_per_arm`` for the simulated power (each probe re-seeded: common random numbers)."""
    from stromal.model.statistics import simulated_power_counts

    def power(n: int) -> float:
        rng = np.random.default_rng(seed)
        est = simulated_power_counts(
            events_treated,
            n_treated,
            events_control,
            n_control,
            n_per_arm=n,
            n_trials=n_trials,
            rng=rng,
            alpha=alpha,
        )
        return float(est.value)

    p_t = events_treated / n_treated if n_treated else math.nan
    p_c = events_control / n_control if n_control else math.nan
    approx = (
        normal_sample_size(p_t, p_c, power=target_power, alpha=alpha) if n_treated and n_control else None
    )
    if not n_treated or not n_control or power(max_n_per_arm) < target_power:
        return SampleSize(target_power, None, None, approx, max_n_per_arm)
    low, high = 1, max_n_per_arm
    while low < high:
        mid = (low + high) // 2
        if power(mid) >= target_power:
            high = mid
        else:
            low = mid + 1
    return SampleSize(target_power, low, power(low), approx, max_n_per_arm)


@dataclass(frozen=True)
class Boundaries:
    method: str
    looks: int
    alpha: float
    information: tuple[float, ...]
    efficacy_z: tuple[float, ...]
    futility_z: tuple[float | None, ...]
    nominal_alpha: tuple[float, ...]


def _crossing_probability(bounds: Sequence[float], information: Sequence[float]) -> float:
    """P(|Z_k| ≥ b_k for some k) under H0 with corr(Z_i, Z_j) = sqrt(t_i / t_j), i ≤ j."""
    t = np.asarray(information, dtype=np.float64)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    b = np.asarray(bounds, dtype=np.float64)
    inside = stats.multivariate_normal(mean=np.zeros(len(t)), cov=cov).cdf(b, lower_limit=-b)
    return float(1.0 - inside)


def group_sequential_boundaries(
    looks: int,
    *,
    method: str = "obrien_fleming",
    alpha: float = 0.05,
    design_power: float = 0.8,
    futility_conditional_power: float = 0.1,
) -> Boundaries:
    """Two-sided efficacy boundaries (z) at ``looks`` equally spaced analyses, and futility boundaries.

    Futility (non-binding) at look k < K: stop when the conditional power under the effect the
    design was powered for (drift ``θ = z_{1-α/2}+z_{power}`` at full information, as a fixed
    design) drops below ``futility_conditional_power``; the final look has none.

    Raises:
        ValueError: an unknown method or fewer than one look.
    """
    if looks < 1:
        raise ValueError("looks: must be ≥ 1")
    if method not in ("pocock", "obrien_fleming"):
        raise ValueError("method: must be pocock or obrien_fleming")
    t = tuple((k + 1) / looks for k in range(looks))

    def shape(c: float) -> list[float]:
        return [c] * looks if method == "pocock" else [c * math.sqrt(looks / (k + 1)) for k in range(looks)]

    from scipy.optimize import brentq

    c = float(brentq(lambda c: _crossing_probability(shape(c), t) - alpha, 1.0, 8.0, xtol=1e-6))
    efficacy = shape(c)
    theta = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(design_power)
    futility: list[float | None] = []
    for k, tk in enumerate(t):
        if k == looks - 1:
            futility.append(None)
            continue
        # Conditional power CP(z) = 1 − Φ((b_K − z·sqrt(t) − θ(1 − t)) / sqrt(1 − t)); solve CP = target.
        z = (
            efficacy[-1]
            - theta * (1 - tk)
            - math.sqrt(1 - tk) * stats.norm.ppf(1 - futility_conditional_power)
        ) / math.sqrt(tk)
        futility.append(round(float(z), 4))
    return Boundaries(
        method,
        looks,
        alpha,
        t,
        tuple(round(b, 4) for b in efficacy),
        tuple(futility),
        tuple(round(float(2 * stats.norm.sf(b)), 6) for b in efficacy),
    )


@dataclass(frozen=True)
class Ratio:
    value: float | None
    ci95: tuple[float | None, float | None]
    p_value: float | None = None


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def cox_hazard_ratio(time_days: Any, died: Any, treated: Any) -> Ratio:
    """Hazard ratio of death, treated vs control, from a Cox model (lifelines, Efron ties)."""
    import pandas as pd
    from lifelines import CoxPHFitter

    frame = pd.DataFrame(
        {
            "time": np.asarray(time_days, float),
            "died": np.asarray(died, bool),
            "treated": np.asarray(treated, float),
        }
    )
    frame = frame[np.isfinite(frame["time"])]
    if frame["died"].sum() == 0 or frame["treated"].nunique() < 2:
        return Ratio(None, (None, None))
    fitter = CoxPHFitter().fit(frame, duration_col="time", event_col="died")
    row = fitter.summary.loc["treated"]
    return Ratio(
        _finite(row["exp(coef)"]),
        (_finite(row["exp(coef) lower 95%"]), _finite(row["exp(coef) upper 95%"])),
        _finite(row["p"]),
    )


def odds_ratio(events_treated: int, n_treated: int, events_control: int, n_control: int) -> Ratio:
    """Odds ratio of death with its exact 95 % interval (SciPy, conditional maximum likelihood)."""
    from scipy.stats.contingency import odds_ratio as scipy_odds_ratio

    table = [[events_treated, n_treated - events_treated], [events_control, n_control - events_control]]
    if min(n_treated, n_control) == 0:
        return Ratio(None, (None, None))
    result = scipy_odds_ratio(table)
    ci = result.confidence_interval(0.95)
    p = stats.fisher_exact(table).pvalue
    return Ratio(_finite(result.statistic), (_finite(ci.low), _finite(ci.high)), _finite(p))


@dataclass(frozen=True)
class RankTest:
    p_value: float | None
    probability_treated_more: float | None  # P(VFD_t > VFD_c) + ½ P(tie)
    median_treated: float | None
    median_control: float | None


def ventilator_free_days_test(vfd_treated: Any, vfd_control: Any) -> RankTest:
    """Two-sided Wilcoxon-Mann-Whitney test of ventilator-free days (SciPy)."""
    a = np.asarray(vfd_treated, float)
    b = np.asarray(vfd_control, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return RankTest(None, None, None, None)
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    return RankTest(
        _finite(result.pvalue),
        _finite(result.statistic / (len(a) * len(b))),
        float(np.median(a)),
        float(np.median(b)),
    )


@dataclass(frozen=True)
class PairedDifference:
    n_pairs: int
    risk_difference: float | None
    ci95: tuple[float | None, float | None]
    mcnemar_p: float | None


def paired_difference(died_treated: Any, died_control: Any) -> PairedDifference:
    """Twin (same virtual patient) risk difference, treated − control, and McNemar's exact test."""
    t = np.asarray(died_treated, float)
    c = np.asarray(died_control, float)
    ok = np.isfinite(t) & np.isfinite(c)
    t, c = t[ok], c[ok]
    n = len(t)
    if n < 2:
        return PairedDifference(n, None, (None, None), None)
    diff = t - c
    mean = float(diff.mean())
    half = 1.959963984540054 * float(diff.std(ddof=1)) / math.sqrt(n)
    only_t = int(np.sum((t == 1) & (c == 0)))
    only_c = int(np.sum((t == 0) & (c == 1)))
    discordant = only_t + only_c
    p = float(stats.binomtest(only_t, discordant).pvalue) if discordant else 1.0
    return PairedDifference(n, mean, (mean - half, mean + half), p)


@dataclass(frozen=True)
class Interaction:
    subgrouping: str
    levels: dict[str, Ratio]
    p_interaction: float | None
    p_holm: float | None


def _log_rr(e_t: int, n_t: int, e_c: int, n_c: int) -> tuple[float, float] | None:
    if min(e_t, e_c) == 0 or e_t == n_t or e_c == n_c:
        return None
    return math.log((e_t / n_t) / (e_c / n_c)), 1 / e_t - 1 / n_t + 1 / e_c - 1 / n_c


def subgroup_interactions(
    outcomes: pd.DataFrame, treated_arm: str, control_arm: str, subgroupings: Sequence[str]
) -> list[Interaction]:
    """Risk ratio per level and the heterogeneity test per subgrouping, Holm-adjusted over subgroupings.

    ``outcomes``: the trial's per-patient rows (``arm``, ``assigned``, ``died_28d`` and the
    subgrouping columns). Only allocated patients are used (the randomised comparison). A level
    with no death (or only deaths) in an arm has no log risk ratio and is left out of the test.
    """
    rows = outcomes[outcomes["assigned"].astype(bool) & np.isfinite(outcomes["died_28d"])]
    found: list[Interaction] = []
    for name in subgroupings:
        if name not in rows.columns:
            continue
        levels: dict[str, Ratio] = {}
        logs: list[tuple[float, float]] = []
        for level, part in rows.groupby(name):
            t = part[part["arm"] == treated_arm]["died_28d"]
            c = part[part["arm"] == control_arm]["died_28d"]
            lr = _log_rr(int(t.sum()), len(t), int(c.sum()), len(c))
            if lr is None:
                levels[str(level)] = Ratio(None, (None, None))
                continue
            est, var = lr
            half = 1.959963984540054 * math.sqrt(var)
            levels[str(level)] = Ratio(math.exp(est), (math.exp(est - half), math.exp(est + half)))
            logs.append(lr)
        p = None
        if len(logs) >= 2:
            w = np.array([1 / v for _, v in logs])
            x = np.array([e for e, _ in logs])
            pooled = float(np.sum(w * x) / np.sum(w))
            q = float(np.sum(w * (x - pooled) ** 2))
            p = float(stats.chi2.sf(q, len(logs) - 1))
        found.append(Interaction(name, levels, p, None))
    tested = sorted((i for i in found if i.p_interaction is not None), key=lambda i: i.p_interaction or 0.0)
    m = len(tested)
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, inter in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * (inter.p_interaction or 0.0)))
        adjusted[inter.subgrouping] = running
    return [Interaction(i.subgrouping, i.levels, i.p_interaction, adjusted.get(i.subgrouping)) for i in found]


#: Interim looks of the group-sequential designs shown beside a trial (two interim, one final).
LOOKS = 3


def trial_analyses(
    outcomes: pd.DataFrame, *, reference: str, arms: Sequence[str], subgroups: Sequence[str], seed: int
) -> dict[str, Any]:
    """The designs and analyses above for every arm against ``reference``, as JSON-ready data.

    ``outcomes``: ``stromal.model.read_outcomes`` of a finished trial. Randomised analyses use the
    allocated rows; the paired one every patient's twin under both arms (when simulated).
    """
    from dataclasses import asdict

    out: dict[str, Any] = {
        "reference": reference,
        "comparisons": [],
        "boundaries": [
            asdict(group_sequential_boundaries(LOOKS, method=m)) for m in ("obrien_fleming", "pocock")
        ],
        "subgroups_used": [s for s in subgroups if s in outcomes.columns],
        "subgroups_not_available": [s for s in subgroups if s not in outcomes.columns],
    }
    assigned = outcomes[outcomes["assigned"].astype(bool)]
    ref = assigned[assigned["arm"] == reference]
    for arm in arms:
        if arm == reference:
            continue
        treated = assigned[assigned["arm"] == arm]
        both = pd_concat([treated, ref])
        died_t = treated["died_28d"].dropna()
        died_c = ref["died_28d"].dropna()
        e_t, n_t, e_c, n_c = int(died_t.sum()), len(died_t), int(died_c.sum()), len(died_c)
        twins_t = outcomes[outcomes["arm"] == arm].set_index("patient_id")["died_28d"]
        twins_c = outcomes[outcomes["arm"] == reference].set_index("patient_id")["died_28d"]
        common = twins_t.index.intersection(twins_c.index)
        paired = paired_difference(twins_t.loc[common].to_numpy(), twins_c.loc[common].to_numpy())
        out["comparisons"].append(
            {
                "arm": arm,
                "hazard_ratio_cox": asdict(
                    cox_hazard_ratio(both["follow_up_days"], both["died"] > 0.5, both["arm"] == arm)
                ),
                "odds_ratio_28d": asdict(odds_ratio(e_t, n_t, e_c, n_c)),
                "ventilator_free_days": asdict(
                    ventilator_free_days_test(
                        treated["ventilator_free_days_28d"], ref["ventilator_free_days_28d"]
                    )
                ),
                "paired_risk_difference_28d": asdict(paired) if len(common) > len(treated) else None,
                "sample_size": asdict(sample_size_search(e_t, n_t, e_c, n_c, seed=seed)),
                "subgroups": [
                    asdict(i) for i in subgroup_interactions(outcomes, arm, reference, out["subgroups_used"])
                ],
            }
        )
    return out


def pd_concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    return pd.concat(list(frames), ignore_index=True)
