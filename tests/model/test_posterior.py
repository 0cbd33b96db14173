"""Posterior ensemble: priors, synthetic likelihood, pinned bounds, the installed file, and the
uncertainty interval a trial reports from it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from stromal.model import posterior as post
from stromal.model import statistics as st
from stromal.model.calibration import BOUNDS, FITTED, Target, load_targets


def _target(quantity: str, value: float, low: float, high: float) -> Target:
    return Target("t", quantity, value, low, high, "test")


def test_the_prior_is_centred_on_the_nominal_value_and_zero_outside_the_search_box() -> None:
    names = list(FITTED)
    centre = np.zeros(len(names))
    assert post.log_prior(centre, names) == 0.0
    assert post.log_prior(centre + 0.5, names) < 0.0
    outside = centre.copy()
    outside[0] = math.log(BOUNDS[names[0]][1]) + 0.01
    assert post.log_prior(outside, names) == -math.inf
    assert all(post.prior_sd(n) >= 1.0 for n in names)


def test_a_risk_ratio_target_is_scored_on_the_log_scale_with_its_published_ci() -> None:
    t = _target("risk_ratio_28d", 0.79, 0.64, 0.97)
    sd = post.target_sd(t, 0.79, n_per_arm=10**9)  # no Monte-Carlo error left
    assert sd == pytest.approx((math.log(0.97) - math.log(0.64)) / (2 * 1.959963984540054))
    at = post.log_likelihood([t], {"t": 0.79}, n_per_arm=10**9)
    one_sd_off = post.log_likelihood([t], {"t": 0.79 * math.exp(sd)}, n_per_arm=10**9)
    assert at - one_sd_off == pytest.approx(0.5)


def test_the_monte_carlo_error_widens_a_mortality_target_at_small_n() -> None:
    t = _target("mortality_60d", 0.3, 0.27, 0.33)
    assert post.target_sd(t, 0.3, n_per_arm=30) > post.target_sd(t, 0.3, n_per_arm=3000)
    assert post.log_likelihood([t], {}, n_per_arm=30) == post.MISSING_LOG_LIKELIHOOD


def test_draws_crowding_a_bound_are_reported_as_pinned() -> None:
    names = ["insult_p0", "lung_susceptibility"]
    high = math.log(BOUNDS["insult_p0"][1])
    kept = np.column_stack([np.full(20, high - 0.01), np.linspace(-0.5, 0.5, 20)])
    (pinned,) = post._pinned(kept, names)
    assert (
        pinned["parameter"] == "insult_p0" and pinned["bound"] == "upper" and pinned["share_of_draws"] == 1.0
    )


def test_the_installed_ensemble_is_for_the_calibration_targets_and_says_how_it_was_made() -> None:
    data = post.load_posterior()
    assert data is not None, "src/stromal/model/posterior.json is committed"
    assert data["parameters"] == list(FITTED) and len(data["draws"]) >= 20
    for draw in data["draws"]:
        assert set(draw) == set(FITTED)
        for name, value in draw.items():
            nominal_multiplier = value / data["prior"][name]["nominal"]
            low, high = BOUNDS[name]
            assert low * 0.999 <= nominal_multiplier <= high * 1.001
    fitted = {t.name for t in load_targets()}
    assert {t["name"] for t in data["targets"]} == fitted
    for key in ("seed", "acceptance_fraction", "effective_sample_size", "command", "model_version", "pinned"):
        assert key in data


def test_no_posterior_file_means_no_ensemble(tmp_path: Path) -> None:
    from importlib.resources.abc import Traversable

    missing: Traversable = tmp_path / "posterior.json"  # type: ignore[assignment]
    assert post.load_posterior(missing) is None


@pytest.mark.slow
def test_a_quick_sampling_run_keeps_draws_inside_the_box_and_writes_its_table(tmp_path: Path) -> None:
    report = post.sample_posterior(seed=3, n_per_arm=12, walkers=16, steps=2, draws=8, time_budget_s=120)
    assert report["steps_run"] == 2 and len(report["draws"]) == 8
    assert 0.0 <= report["acceptance_fraction"] <= 1.0
    post.write_posterior(report, tmp_path)
    assert json.loads((tmp_path / "posterior.json").read_text())["seed"] == 3
    assert "Pinned at a bound" in (tmp_path / "posterior.md").read_text()


# --- the uncertainty interval ---------------------------------------------------------------


def test_draws_that_agree_add_no_between_draw_variance() -> None:
    pooled = st.risk_ratio_across_draws([20] * 5, [100] * 5, [40] * 5, [100] * 5)
    assert pooled is not None and pooled.tau2 == 0.0 and pooled.draws == 5
    assert pooled.value == pytest.approx(0.5)


def test_draws_that_disagree_widen_the_interval_beyond_the_katz_ci() -> None:
    deaths_treated = [10, 20, 30, 40, 10, 20, 30, 40]
    pooled = st.risk_ratio_across_draws(deaths_treated, [200] * 8, [60] * 8, [200] * 8)
    assert pooled is not None and pooled.tau2 > 0.05
    a, n1, c, n0 = sum(deaths_treated), 1600, 480, 1600
    rr = st.risk_ratio(a, n1, c, n0)
    ui = st.widened_interval(rr.value, st.katz_se(a, n1, c, n0), pooled.tau2)
    assert ui[0] < rr.ci95[0] and ui[1] > rr.ci95[1]
    assert math.sqrt(ui[0] * ui[1]) == pytest.approx(rr.value)  # centred on the trial's ratio
    assert st.widened_interval(rr.value, st.katz_se(a, n1, c, n0), 0.0) == pytest.approx(rr.ci95)


def test_fewer_than_two_usable_draws_give_no_interval() -> None:
    assert st.risk_ratio_across_draws([3], [10], [4], [10]) is None
    assert st.risk_ratio_across_draws([0, 3], [10, 0], [0, 4], [10, 10]) is None


def test_stromal_calibrate_posterior_refuses_too_few_walkers(capsys: pytest.CaptureFixture[str]) -> None:
    from stromal.cli import main

    assert main(["calibrate", "--posterior", "--walkers", "4"]) == 2
    assert "--walkers" in capsys.readouterr().err
