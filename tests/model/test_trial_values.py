"""The numbers a trial writes are the right numbers.

``summary.json`` is checked against a computation straight from the outcome
Parquet with the real engine (risk ratio and its Katz interval, mortality
counts, the day-7 P/F median, long-term medians), and the endpoint
boundaries (death exactly on day 28, a 48-hour liberation, death on the
last follow-up day) are checked on a stub engine whose trajectories are
known exactly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stromal.clinical.protocol import Arm
from stromal.model import endpoints as ep
from stromal.model.parameters import nominal_parameters
from stromal.model.population import Engine, VirtualPopulation
from stromal.model.status import SolverStatus
from stromal.model.trial import read_outcomes, run_trial, simulate_arm
from stromal.model.trial_config import TrialConfig, trial_config_from_dict

Z_95 = 1.959963984540054
#: Medians come from histograms exact to half a bin (0.25 mmHg for P/F, 0.025 % for DLCO, 0.25 m walk).
PF_HALF_BIN_MMHG = 0.25


def _config(*, n_per_arm: int, days: int, long_term: bool, severity: dict[str, float]) -> TrialConfig:
    return trial_config_from_dict(
        {
            "seed": 11,
            "days": days,
            "chunk_size": 200,
            "population": {
                "n_per_arm": n_per_arm,
                "severity": severity,
                "aetiology": {"viral": 0.6, "sepsis": 0.3, "trauma": 0.1},
                "calibrated": True,
            },
            "analysis": {"paired": False, "power_trials": 10, "long_term": long_term, "subgroups": []},
            "arm": [
                {"name": "control"},
                {
                    "name": "msc_iv",
                    "route": "iv",
                    "dose_cells_per_kg": 10e6,
                    "days": [0, 1],
                    "viability_pct": 90,
                    "allocation": 2,
                },
            ],
        }
    )


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], pd.DataFrame]:
    """A small real-engine 2:1 trial (60 controls, 120 treated), 90 days."""
    out = tmp_path_factory.mktemp("trial")
    config = _config(
        n_per_arm=60, days=90, long_term=False, severity={"mild": 0.2, "moderate": 0.4, "severe": 0.4}
    )
    run_trial(config, out)
    summary = json.loads((out / "summary.json").read_text())
    return summary, read_outcomes(out / "outcomes")


def _arm(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in summary["arms"] if a["name"] == name)


def _allocated(outcomes: pd.DataFrame, arm: str) -> pd.DataFrame:
    rows = outcomes[outcomes["assigned"] & (outcomes["arm"] == arm)]
    return rows[rows["status"] == SolverStatus.OK]


@pytest.mark.slow
def test_the_allocation_is_2_to_1_and_mortality_counts_match_the_outcomes(
    trial: tuple[dict[str, Any], pd.DataFrame],
) -> None:
    summary, outcomes = trial
    assert summary["allocation"] == {"control": 1, "msc_iv": 2}
    assert _arm(summary, "control")["n"] == 60 and _arm(summary, "msc_iv")["n"] == 120
    (power,) = summary["power"]
    assert (power["n_arm"], power["n_reference"]) == (120, 60)  # power of the 2:1 design as run
    assert "1:2 (control, msc_iv)" in summary["design"] and "blocks of 6" in summary["design"]
    for name in ("control", "msc_iv"):
        rows = _allocated(outcomes, name)
        arm = _arm(summary, name)
        for day in (28, 60, 90):
            deaths = int((rows["death_day"] <= day).sum())
            assert arm[f"mortality_{day}d"] == pytest.approx(deaths / len(rows), abs=1e-12)
        assert arm["failed"] == int(
            (outcomes[outcomes["assigned"] & (outcomes["arm"] == name)]["status"] != SolverStatus.OK).sum()
        )
        assert arm["ventilator_free_days_28d_mean"] == pytest.approx(rows["ventilator_free_days_28d"].mean())


@pytest.mark.slow
def test_the_risk_ratio_and_its_katz_interval_match_the_outcomes(
    trial: tuple[dict[str, Any], pd.DataFrame],
) -> None:
    summary, outcomes = trial
    treated, control = _allocated(outcomes, "msc_iv"), _allocated(outcomes, "control")
    a, n1 = int((treated["death_day"] <= 28).sum()), len(treated)
    c, n0 = int((control["death_day"] <= 28).sum()), len(control)
    assert 0 < a < n1 and 0 < c < n0, "the test needs deaths and survivors in both arms"
    rr = (a / n1) / (c / n0)
    assert abs(math.log(rr)) > 0.05, "an inverted ratio must be told apart from the right one"
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    (comparison,) = summary["comparisons"]
    assert comparison["arm"] == "msc_iv"
    assert comparison["risk_ratio_28d"] == pytest.approx(rr, rel=1e-12)
    low, high = comparison["risk_ratio_28d_ci95"]
    assert low == pytest.approx(rr * math.exp(-Z_95 * se), rel=1e-9)
    assert high == pytest.approx(rr * math.exp(Z_95 * se), rel=1e-9)
    assert comparison["risk_difference_28d"] == pytest.approx(a / n1 - c / n0, abs=1e-12)


@pytest.mark.slow
def test_the_day_7_pf_median_is_day_7s(trial: tuple[dict[str, Any], pd.DataFrame]) -> None:
    summary, outcomes = trial
    for name in ("control", "msc_iv"):
        rows = _allocated(outcomes, name)
        day7 = float(np.nanmedian(rows["pf_day7"]))
        day6 = float(np.nanmedian(rows["pf_day6"]))
        assert abs(day7 - day6) > 4 * PF_HALF_BIN_MMHG, "day 6 and day 7 must be told apart"
        arm = _arm(summary, name)
        assert arm["pf_ratio_day7_median"] == pytest.approx(day7, abs=PF_HALF_BIN_MMHG + 1e-6)
        assert arm["pf_ratio_median_by_day"]["6"] == pytest.approx(day6, abs=PF_HALF_BIN_MMHG + 1e-6)
        # Survivors only: a patient dead by day 7 has no day-7 P/F.
        assert rows.loc[rows["death_day"] <= 7, "pf_day7"].isna().all()


@pytest.mark.slow
def test_long_term_outcomes_with_the_real_engine_are_of_survivors_and_match_the_summary(
    tmp_path: Path,
) -> None:
    config = _config(
        n_per_arm=12, days=28, long_term=True, severity={"mild": 0.0, "moderate": 0.5, "severe": 0.5}
    )
    summary = run_trial(config, tmp_path)
    outcomes = read_outcomes(tmp_path / "outcomes")
    for name in ("control", "msc_iv"):
        rows = _allocated(outcomes, name)
        survivors = rows[~np.isfinite(rows["death_day"])]
        dead = rows[np.isfinite(rows["death_day"])]
        assert len(survivors) > 0
        arm = _arm(summary, name)
        for label in ep.LONG_TERM_DAYS:
            for kind, half_bin in (("fvc_pct", 0.025), ("dlco_pct", 0.025), ("six_mwd_m", 0.25)):
                column = f"{kind}_{label}"
                assert survivors[column].notna().all() and dead[column].isna().all()
                assert arm[f"{column}_median"] == pytest.approx(
                    float(np.median(survivors[column])), abs=half_bin + 1e-6
                )
            dlco = survivors[f"dlco_pct_{label}"].to_numpy()
            assert np.all((dlco > 0) & (dlco <= 150))
            predicted = ep.six_minute_walk_predicted_m(
                survivors["age_years"].to_numpy(),
                survivors["height_cm"].to_numpy(),
                survivors["weight_kg"].to_numpy(),
                survivors["sex_male"].to_numpy().astype(np.float64),
            )
            # 6MWD = predicted x walking capacity left by ICU weakness (0-1) x sqrt(DLCO/100).
            walk = survivors[f"six_mwd_m_{label}"].to_numpy()
            assert np.all(walk > 0)
            assert np.all(walk <= predicted * np.sqrt(np.clip(dlco, 0, 100) / 100) + 1e-9)


# --- Endpoint boundaries on a stub engine whose trajectories are known exactly ----------------


@dataclass(frozen=True)
class _Result:
    status: np.ndarray
    hazard: np.ndarray
    observables: dict[str, np.ndarray]
    model_version: str = "stub"

    def state(self, name: str) -> np.ndarray:
        assert name == "cumulative_death_hazard"
        return self.hazard


def _stub_engine(pf: np.ndarray) -> Engine:
    """Every patient's cumulative hazard is t (hours); P/F is given per output time."""

    def simulate(params: np.ndarray, t_h: np.ndarray, **_: Any) -> _Result:
        n = len(params)
        return _Result(np.zeros(n, np.int8), np.tile(t_h, (n, 1)), {"pf_ratio": np.tile(pf(t_h), (n, 1))})

    return Engine(simulate, lambda *a, **k: None, lambda n: None)


def _population(n: int) -> VirtualPopulation:
    params = np.tile(nominal_parameters(), (n, 1))
    return VirtualPopulation(
        params=params,
        y0=np.zeros((n, 1)),
        aetiology=np.array(["viral"] * n),
        severity=np.array(["severe"] * n),
        pf_enrolment_mmhg=np.full(n, 90.0),
        onset_h=np.zeros(n),
        n_candidates=n,
        n_failed=0,
    )


def _simulate(days: int, death_h: list[float], pf: Any = lambda t: np.full(len(t), 80.0)) -> pd.DataFrame:
    config = trial_config_from_dict(
        {
            "seed": 1,
            "days": days,
            "population": {"n_per_arm": 1, "severity": {"severe": 1.0}, "aetiology": {"viral": 1.0}},
            "analysis": {"long_term": False},
            "arm": [{"name": "control"}],
        }
    )
    n = len(death_h)
    t_h = ep.output_grid_h(max(days, 28), long_term=False)
    # Hazard H(t) = t h: a threshold of x dies exactly at x hours (interpolation is exact on a line).
    return simulate_arm(
        config, Arm("control"), _population(n), np.arange(n), t_h, np.array(death_h), _stub_engine(pf)
    )


def test_a_death_exactly_on_day_28_is_a_28_day_death_with_no_ventilator_free_days() -> None:
    frame = _simulate(90, [28 * 24.0, 28 * 24.0 + 1.0, 27 * 24.0])
    assert frame["death_day"].tolist() == pytest.approx([28.0, 28 + 1 / 24, 27.0])
    assert frame["died_28d"].tolist() == [1.0, 0.0, 1.0]
    assert frame["ventilator_free_days_28d"].tolist() == [0.0, 0.0, 0.0]  # ventilated till death
    assert frame["died_60d"].tolist() == [1.0, 1.0, 1.0]


def test_a_death_on_the_last_follow_up_day_is_counted_and_a_later_one_is_censored() -> None:
    frame = _simulate(60, [60 * 24.0, 60 * 24.0 + 2.0])
    assert frame["death_day"].iloc[0] == pytest.approx(60.0) and frame["died"].iloc[0] == 1.0
    assert frame["follow_up_days"].tolist() == pytest.approx([60.0, 60.0])
    assert math.isinf(frame["death_day"].iloc[1]) and frame["died"].iloc[1] == 0.0
    assert frame["died_60d"].tolist() == [1.0, 0.0]
    assert frame["died_90d"].isna().all()  # not followed that long


@pytest.mark.parametrize(("ready_h", "ventilation_days"), [(48.0, 1.0 + 25.0), (44.0, 28.0)])
def test_a_liberation_of_exactly_48_hours_counts_and_a_shorter_one_is_a_failed_extubation(
    ready_h: float, ventilation_days: float
) -> None:
    # Ready (P/F 300) from hour 24 for `ready_h` hours, then back below the threshold.
    frame = _simulate(28, [1e9], pf=lambda t: np.where((t >= 24.0) & (t < 24.0 + ready_h), 300.0, 80.0))
    assert frame["ventilation_days_28d"].iloc[0] == pytest.approx(ventilation_days)
    assert frame["ventilator_free_days_28d"].iloc[0] == pytest.approx(28.0 - ventilation_days)
