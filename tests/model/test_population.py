"""Virtual populations: acceptance–rejection matches the target mix; failures are counted.

Uses the throw-away SciPy engine in ``fake_engine`` (orchestration only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stromal.model.parameters import PARAMETER_INDEX
from stromal.model.population import berlin_grades, calibration_provenance, cell_quotas, generate_population
from stromal.model.trial_config import PopulationConfig
from tests.model.fake_engine import FAKE_ENGINE

TARGET = PopulationConfig(
    n_per_arm=1,
    severity={"mild": 0.0, "moderate": 0.6, "severe": 0.4},
    aetiology={"viral": 0.5, "sepsis": 0.5, "trauma": 0.0},
    age_years=(40.0, 70.0),
    calibrated=False,
)


def test_quotas_sum_to_n_and_follow_the_product_of_the_marginals() -> None:
    q = cell_quotas(
        101, {"mild": 0.3, "moderate": 0.45, "severe": 0.25}, {"viral": 0.6, "sepsis": 0.3, "trauma": 0.1}
    )
    assert sum(q.values()) == 101
    assert abs(q[("viral", "moderate")] - 101 * 0.6 * 0.45) < 1


def test_the_enrolled_population_matches_the_target_severity_aetiology_and_age() -> None:
    pop = generate_population(60, TARGET, np.random.default_rng(4), engine=FAKE_ENGINE)
    assert pop.n == 60 and not pop.shortfall
    assert np.mean(pop.severity == "severe") == 0.4
    assert np.mean(pop.aetiology == "viral") == 0.5
    ages = pop.params[:, PARAMETER_INDEX["age_years"]]
    assert ages.min() >= 40 and ages.max() <= 70
    assert np.all(pop.pf_enrolment_mmhg[pop.severity == "severe"] <= 100)
    assert 0 < pop.acceptance_rate < 1 and pop.failure_rate == 0


def test_a_cell_the_model_cannot_fill_is_reported_as_a_shortfall_not_padded() -> None:
    impossible = PopulationConfig(
        n_per_arm=1,
        severity={"mild": 1.0, "moderate": 0.0, "severe": 0.0},
        aetiology={"viral": 0.0, "sepsis": 1.0, "trauma": 0.0},
        max_candidates_factor=3,
        calibrated=False,
    )
    pop = generate_population(10, impossible, np.random.default_rng(1), engine=FAKE_ENGINE)
    assert pop.n + sum(pop.shortfall.values()) == 10
    assert pop.n_candidates <= 3 * 10 + 64


def test_the_same_seed_gives_the_same_patients() -> None:
    a = generate_population(20, TARGET, np.random.default_rng(9), engine=FAKE_ENGINE)
    b = generate_population(20, TARGET, np.random.default_rng(9), engine=FAKE_ENGINE)
    assert np.array_equal(a.params, b.params) and np.array_equal(a.y0, b.y0)


def test_every_report_can_say_which_calibration_was_used_and_where_it_came_from(tmp_path: Path) -> None:
    fitted = tmp_path / "calibrated.toml"
    fitted.write_text(
        "# Fitted by `stromal calibrate` on 2026-01-02 (model 0.1.0, seed 3, n per arm 400).\n"
        "[parameters]\nk_pg = 0.5\n",
        encoding="utf-8",
    )
    used = calibration_provenance(True, fitted)
    assert used["used"] is True and used["parameters"] == {"k_pg": 0.5}
    assert "model 0.1.0, seed 3" in used["provenance"] and len(used["sha256"]) == 64
    assert calibration_provenance(False, fitted)["used"] is False
    missing = calibration_provenance(True, tmp_path / "absent.toml")
    assert missing["used"] is False and "uncalibrated" in missing["reason"]


def test_enrolment_keeps_only_patients_inside_the_pf_range_and_the_hours_since_onset() -> None:
    from dataclasses import replace

    config = replace(TARGET, pf_enrolment_mmhg=(60.0, 180.0), enrolment_delay_h=(6.0, 48.0))
    pop = generate_population(60, config, np.random.default_rng(4), engine=FAKE_ENGINE)
    assert pop.n > 0
    assert np.all((pop.pf_enrolment_mmhg >= 60.0) & (pop.pf_enrolment_mmhg <= 180.0))
    assert pop.rejected.get("pf_outside_enrolment_range", 0) > 0
    delay_h = pop.params[:, PARAMETER_INDEX["enrolment_time_h"]] - pop.onset_h
    assert np.all((delay_h >= 6.0) & (delay_h <= 48.0))
    assert len(np.unique(delay_h)) > 5  # drawn per patient, not one fixed delay


def test_grades_of_a_whole_array_are_those_of_the_berlin_rule_even_at_the_cut_offs() -> None:
    from stromal.clinical.berlin import berlin_severity

    cutoffs = np.array([100.0, 200.0, 300.0])
    near = (
        cutoffs[:, None] + np.array([-0.1, -0.05, -0.0500001, -1e-9, 0.0, 1e-9, 0.04999, 0.05, 0.1])
    ).ravel()
    pf = np.concatenate([near, np.random.default_rng(1).uniform(0.0, 400.0, 500), [np.nan, np.inf, -1.0]])
    expected = [berlin_severity(float(v)) or "" if np.isfinite(v) else "" for v in pf]
    assert berlin_grades(pf).tolist() == expected
