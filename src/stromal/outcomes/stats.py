"""Summary statistics the analytics pages show, as pure functions (no Django).

Exact binomial confidence intervals (Clopper-Pearson) and the median with
quartiles. SciPy computes the binomial interval; the quartiles are the
linear-interpolation quantiles (Hyndman & Fan type 7, the default of R and
NumPy), so a statistician's own software gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Confidence level of every interval the analytics show.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Proportion:
    """``k`` of ``n`` with its exact 95 % interval (fractions 0-1; None when ``n`` is 0)."""

    k: int
    n: int
    estimate: float | None
    low: float | None
    high: float | None

    def percent_text(self) -> str:
        """``3/20 (15.0 %, 95 % CI 3.2–37.9)``; ``0/0`` when nobody was exposed."""
        if self.estimate is None or self.low is None or self.high is None:
            return f"{self.k}/{self.n}"
        return (
            f"{self.k}/{self.n} ({100 * self.estimate:.1f} %, 95 % CI "
            f"{100 * self.low:.1f}–{100 * self.high:.1f})"
        )


def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> Proportion:
    """The proportion ``k/n`` with its exact (Clopper-Pearson) two-sided interval.

    Source: Clopper CJ, Pearson ES. The use of confidence or fiducial limits
    illustrated in the case of the binomial. Biometrika 1934;26(4):404-13,
    doi:10.1093/biomet/26.4.404. The limits are the beta quantiles the interval is defined by
    (lower ``B(α/2; k, n-k+1)``, upper ``B(1-α/2; k+1, n-k)``), from SciPy's inverse
    regularised incomplete beta function; the tests check them against
    ``scipy.stats.binomtest(...).proportion_ci(method="exact")``, which searches for the same
    limits by root finding (a hundred times slower).

    Raises:
        ValueError: ``k`` outside 0..``n`` or a negative ``n``.
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"k={k}, n={n}: need 0 <= k <= n")
    if n == 0:
        return Proportion(0, 0, None, None, None)
    from scipy.special import betaincinv

    alpha = 1 - confidence
    low = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, alpha / 2))
    high = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1 - alpha / 2))
    return Proportion(k, n, k / n, low, high)


@dataclass(frozen=True)
class Spread:
    """Median and quartiles (Q1, Q3) of ``n`` values; None when there are none."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None


def median_iqr(values: Sequence[float]) -> Spread:
    """Median, first and third quartile (type-7 quantiles, as R's and NumPy's default)."""
    if not values:
        return Spread(0, None, None, None)
    q1, median, q3 = np.quantile(np.asarray(values, dtype=float), [0.25, 0.5, 0.75])
    return Spread(len(values), float(median), float(q1), float(q3))
