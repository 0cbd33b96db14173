"""Exact binomial intervals and quartiles, checked against SciPy's root-finding interval and by hand."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from stromal.outcomes.stats import clopper_pearson, median_iqr


@pytest.mark.parametrize(("k", "n"), [(0, 1), (0, 10), (1, 10), (3, 20), (10, 10), (7, 250), (500, 1000)])
def test_the_interval_is_the_exact_clopper_pearson_interval(k: int, n: int) -> None:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    p = clopper_pearson(k, n)
    # Same definition, two numerical routes (beta quantiles here, root finding in SciPy): 1e-9 apart at most.
    assert p.low == pytest.approx(ci.low, abs=1e-9) and p.high == pytest.approx(ci.high, abs=1e-9)
    assert p.estimate == k / n


def test_none_of_ten_has_the_rule_of_three_like_upper_limit() -> None:
    # 0/10: upper limit 1 - 0.025**(1/10) = 0.3085 (closed form when k = 0).
    p = clopper_pearson(0, 10)
    assert p.low == 0 and p.high == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-12)
    assert p.percent_text() == "0/10 (0.0 %, 95 % CI 0.0–30.8)"


def test_nobody_exposed_has_no_interval() -> None:
    assert clopper_pearson(0, 0).percent_text() == "0/0"


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="need 0 <= k <= n"):
        clopper_pearson(3, 2)


def test_quartiles_are_the_type_7_quantiles() -> None:
    spread = median_iqr([1.0, 2.0, 3.0, 4.0])
    assert (spread.n, spread.median, spread.q1, spread.q3) == (4, 2.5, 1.75, 3.25)
    assert median_iqr([]).median is None
