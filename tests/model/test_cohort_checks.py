"""Out-of-sample checks of the calibration: the numbers in the tables are the cohort's own."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from stromal.model import endpoints as ep
from stromal.model.cohort_checks import (
    GOAL_POINTS,
    LongTermTarget,
    cohort_checks_markdown,
    grade_checks,
    load_long_term_targets,
    long_term_checks,
)


def _cohort(deaths_by_grade: dict[str, int], n: int = 100) -> pd.DataFrame:
    rows = []
    for grade, deaths in deaths_by_grade.items():
        for i in range(n):
            died = i < deaths
            rows.append(
                {
                    "severity": grade,
                    "died_28d": int(died and i % 2 == 0),
                    "died_60d": int(died),
                    "died_90d": int(died or i == n - 1),
                    "ventilation_days_28d": float(i % 10),
                    "onset_to_enrolment_h": 24.0,
                }
            )
    return pd.DataFrame(rows)


def test_mortality_by_grade_is_counted_from_the_cohort_with_a_wilson_interval() -> None:
    rows = {r["grade"]: r for r in grade_checks(_cohort({"mild": 27, "moderate": 40, "severe": 45}))}
    moderate = rows["moderate"]
    assert moderate["n"] == 100
    assert moderate["mortality"]["60d"]["value"] == pytest.approx(0.40)
    assert moderate["mortality"]["28d"]["value"] == pytest.approx(0.20)
    assert moderate["mortality"]["90d"]["value"] == pytest.approx(0.41)
    low, high = moderate["mortality"]["60d"]["ci95"]
    assert low < 0.40 < high and high - low > 0.15
    assert moderate["mortality_60d_target"]["value"] == pytest.approx(0.32)
    assert moderate["mortality_60d_within_goal"] is False  # 8 points off
    assert rows["mild"]["mortality_60d_within_goal"] is True
    assert rows["severe"]["mortality_60d_within_goal"] is True
    assert pytest.approx(0.03) == GOAL_POINTS


def test_ventilation_days_are_those_of_60_day_survivors_counted_from_onset() -> None:
    rows = {r["grade"]: r for r in grade_checks(_cohort({"mild": 50, "moderate": 0, "severe": 0}))}
    # Survivors of mild are i = 50..99: ventilation days i % 10 plus one day from onset.
    survivors = np.array([i % 10 + 1.0 for i in range(50, 100)])
    assert rows["mild"]["ventilation_days_survivors"]["median"] == pytest.approx(float(np.median(survivors)))
    assert rows["mild"]["ventilation_days_survivors"]["n"] == 50


def test_long_term_targets_are_read_with_their_sources_and_bands() -> None:
    targets = load_long_term_targets()
    assert {t.visit for t in targets} <= set(ep.LONG_TERM_DAYS)
    for t in targets:
        assert t.low <= t.value <= t.high and t.source


def test_a_long_term_median_outside_its_band_is_a_miss_and_the_spread_is_compared() -> None:
    survivors = pd.DataFrame(
        {"dlco_pct_1y": [50.0, 60.0, 70.0, math.nan], "fvc_pct_6m": [95.0, 85.0, 90.0, 88.0]}
    )
    targets = [
        LongTermTarget("dlco_1y", "dlco_pct_predicted", "1y", 75.0, 65.0, 85.0, "src", "", 10.0),
        LongTermTarget("fvc_6m", "fvc_pct_predicted", "6m", 90.0, 80.0, 100.0, "src", "band assumed", None),
    ]
    dlco, fvc = long_term_checks(survivors, targets)
    assert dlco["simulated"]["n"] == 3 and dlco["simulated"]["median"] == pytest.approx(60.0)
    assert dlco["median_inside_range"] is False
    assert dlco["spread_ratio"] == pytest.approx(10.0 / 10.0)
    assert fvc["median_inside_range"] is True and fvc["spread_ratio"] is None
    table = "\n".join(
        cohort_checks_markdown(
            {
                "seed": 1,
                "n_per_grade": 100,
                "grades": grade_checks(_cohort({"mild": 27, "moderate": 40, "severe": 45})),
                "long_term": [dlco, fvc],
                "long_term_population": "survivors",
            }
        )
    )
    assert "| moderate | 100 | 20.0 | 40.0 (" in table and "| **no** |" in table
    assert "| dlco_pct_predicted | 1y | 75 (65–85) | 10 | 60 (55–65) | 10 | 3 | **no** |" in table
