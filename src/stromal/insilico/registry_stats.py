"""Observed against expected: pure statistics of the registry check (no Django, no model).

- :func:`observed_expected`: the ratio of observed to expected deaths (O/E, the standardised
  mortality ratio of indirect standardisation) with the exact Poisson 95 % interval of O divided
  by E (Garwood F, Biometrika 1936;28:437-42, doi:10.1093/biomet/28.3-4.437; the usual SMR
  interval, e.g. Breslow NE, Day NE, Statistical Methods in Cancer Research vol. II, IARC 1987).
- :func:`calibration_groups`: patients sorted by predicted risk and cut into (up to) ten groups of
  near-equal size; each group's mean predicted risk against its observed proportion, with the
  exact (Clopper-Pearson) 95 % interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ObservedExpected:
    observed: int
    expected: float
    ratio: float | None
    ci95: tuple[float | None, float | None]


def observed_expected(died: Sequence[bool], risk: Sequence[float]) -> ObservedExpected:
    """O/E with the exact Poisson 95 % interval for O (over E). ``risk`` in 0-1 per patient."""
    observed = int(sum(bool(d) for d in died))
    expected = float(sum(risk))
    if expected <= 0:
        return ObservedExpected(observed, expected, None, (None, None))
    low = stats.chi2.ppf(0.025, 2 * observed) / 2 if observed > 0 else 0.0
    high = stats.chi2.ppf(0.975, 2 * observed + 2) / 2
    return ObservedExpected(observed, expected, observed / expected, (low / expected, high / expected))


@dataclass(frozen=True)
class CalibrationGroup:
    n: int
    predicted: float
    observed: float
    ci95: tuple[float, float]


def calibration_groups(
    died: Sequence[bool], risk: Sequence[float], groups: int = 10
) -> list[CalibrationGroup]:
    """Risk-ordered groups (deciles when there are at least ``groups`` patients)."""
    order = np.argsort(np.asarray(risk, dtype=np.float64), kind="stable")
    d = np.asarray(died, dtype=bool)[order]
    r = np.asarray(risk, dtype=np.float64)[order]
    out = []
    for idx in np.array_split(np.arange(len(r)), min(groups, len(r))):
        if len(idx) == 0:
            continue
        k, n = int(d[idx].sum()), len(idx)
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        out.append(CalibrationGroup(n, float(r[idx].mean()), k / n, (float(ci.low), float(ci.high))))
    return out
