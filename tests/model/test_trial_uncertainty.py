"""A trial's ``risk_ratio_28d_ui95``, with the real engine: patients are drawn across the
installed posterior, and the interval is recomputed here from the outcome Parquet."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stromal.model import posterior as post
from stromal.model import statistics as st
from stromal.model.status import SolverStatus
from stromal.model.trial import POSTERIOR_DRAWS_PER_TRIAL, read_outcomes, run_trial
from stromal.model.trial_config import TrialConfig, trial_config_from_dict


def _config(*, calibrated: bool = True, n_per_arm: int = 60) -> TrialConfig:
    return trial_config_from_dict(
        {
            "seed": 5,
            "days": 28,
            "chunk_size": 60,
            "population": {
                "n_per_arm": n_per_arm,
                "severity": {"moderate": 0.5, "severe": 0.5},
                "aetiology": {"viral": 0.7, "sepsis": 0.3},
                "calibrated": calibrated,
            },
            "analysis": {"paired": False, "long_term": False, "power_trials": 0, "subgroups": []},
            "arm": [
                {"name": "control"},
                {"name": "msc", "route": "iv", "dose_cells_per_kg": 1e7, "days": [0], "viability_pct": 90},
            ],
        }
    )


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], pd.DataFrame]:
    assert post.load_posterior() is not None, "the committed posterior.json is installed"
    out = tmp_path_factory.mktemp("ui")
    run_trial(_config(), out)
    return json.loads((out / "summary.json").read_text()), read_outcomes(out / "outcomes")


@pytest.mark.slow
def test_every_patient_is_simulated_under_one_posterior_set(
    trial: tuple[dict[str, Any], pd.DataFrame],
) -> None:
    summary, outcomes = trial
    assert summary["posterior"]["used"] is True
    draws = outcomes["posterior_draw"].to_numpy()
    assert draws.min() >= 0 and draws.max() < POSTERIOR_DRAWS_PER_TRIAL
    assert len(np.unique(draws)) >= 10  # 120 patients over 20 sets
    # Sets are interleaved in enrolment order, not enrolled one after another.
    assert (np.diff(outcomes.sort_values("patient_id")["posterior_draw"].to_numpy()) != 0).mean() > 0.5


@pytest.mark.slow
def test_the_uncertainty_interval_is_recomputed_from_the_outcomes(
    trial: tuple[dict[str, Any], pd.DataFrame],
) -> None:
    summary, outcomes = trial
    (c,) = summary["comparisons"]
    rows = outcomes[outcomes["assigned"] & (outcomes["status"] == SolverStatus.OK)]
    keys = sorted(rows["posterior_draw"].unique())

    def counts(arm: str) -> tuple[list[int], list[int]]:
        mine = rows[rows["arm"] == arm]
        deaths = [int(mine.loc[mine["posterior_draw"] == k, "died_28d"].sum()) for k in keys]
        n = [int((mine["posterior_draw"] == k).sum()) for k in keys]
        return deaths, n

    (dt, nt), (dc, nc) = counts("msc"), counts("control")
    pooled = st.risk_ratio_across_draws(dt, nt, dc, nc)
    assert pooled is not None
    assert c["log_risk_ratio_between_draw_variance"] == pytest.approx(pooled.tau2, abs=1e-12)
    a, n1, e, n0 = sum(dt), sum(nt), sum(dc), sum(nc)
    assert c["risk_ratio_28d"] == pytest.approx((a / n1) / (e / n0))
    se = math.sqrt(1 / a - 1 / n1 + 1 / e - 1 / n0)
    half = st.Z_95 * math.sqrt(se * se + pooled.tau2)
    assert c["risk_ratio_28d_ui95"] == pytest.approx(
        [c["risk_ratio_28d"] * math.exp(s * half) for s in (-1, 1)]
    )
    low, high = c["risk_ratio_28d_ci95"]
    assert c["risk_ratio_28d_ui95"][0] <= low and c["risk_ratio_28d_ui95"][1] >= high
    assert c["risk_ratio_28d_ui_reason"] is None


@pytest.mark.slow
def test_without_a_posterior_file_the_interval_is_null_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(post, "posterior_file", lambda: tmp_path / "absent.json")
    summary = run_trial(_config(n_per_arm=6), tmp_path / "trial")
    (c,) = summary["comparisons"]
    assert c["risk_ratio_28d_ui95"] is None and c["risk_ratio_28d_ci95"][0] is not None
    assert "no posterior.json is installed" in c["risk_ratio_28d_ui_reason"]
    assert summary["posterior"]["used"] is False
    assert "NOT propagated" in summary["uncertainty"]
    assert "posterior_draw" not in read_outcomes(tmp_path / "trial" / "outcomes").columns
    html = (tmp_path / "trial" / "report.html").read_text()
    assert "uncertainty interval" in html and "no posterior.json is installed" in html


@pytest.mark.slow
def test_an_uncalibrated_population_uses_no_posterior(tmp_path: Path) -> None:
    summary = run_trial(_config(calibrated=False, n_per_arm=6), tmp_path)
    (c,) = summary["comparisons"]
    assert c["risk_ratio_28d_ui95"] is None
    assert "population.calibrated = false" in c["risk_ratio_28d_ui_reason"]


def test_a_posterior_of_another_model_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stromal.model.trial import posterior_for

    stale = tmp_path / "posterior.json"
    stale.write_text(json.dumps({"model_version": "0.0.1", "draws": [{}, {}]}))
    monkeypatch.setattr(post, "posterior_file", lambda: stale)
    use = posterior_for(_config())
    assert use.draws == () and "sampled for model 0.0.1" in use.reason


@pytest.mark.slow
def test_a_paired_trial_takes_the_between_set_variance_from_its_twins(tmp_path: Path) -> None:
    raw = dict(_config(n_per_arm=40).raw)
    raw["analysis"] = {**raw["analysis"], "paired": True}
    summary = run_trial(trial_config_from_dict(raw), tmp_path)
    outcomes = read_outcomes(tmp_path / "outcomes")
    ok = outcomes[outcomes["status"] == SolverStatus.OK]
    twins = ok.pivot(index="patient_id", columns="arm", values="died_28d").dropna()
    draw = ok.drop_duplicates("patient_id").set_index("patient_id").loc[twins.index, "posterior_draw"]
    cells = []
    for k in sorted(draw.unique()):
        t, c = twins.loc[draw == k, "msc"] > 0.5, twins.loc[draw == k, "control"] > 0.5
        cells.append((int((t & c).sum()), int((t & ~c).sum()), int((~t & c).sum())))
    pooled = st.paired_risk_ratio_across_draws(*zip(*cells, strict=True))
    (c,) = summary["comparisons"]
    assert c["risk_ratio_28d_ui_method"] == "paired digital twins per posterior set"
    assert pooled is not None
    assert c["log_risk_ratio_between_draw_variance"] == pytest.approx(pooled.tau2, abs=1e-12)
