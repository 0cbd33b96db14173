"""Calibration targets are sourced data; the report shows every target, misses included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stromal.cli import main
from stromal.model.calibration import (
    BOUNDS,
    FITTED,
    SIMULATED_QUANTITIES,
    _loss,
    calibrate,
    calibrated_toml,
    load_targets,
    write_report,
)


def test_every_target_has_a_value_inside_its_range_and_a_source() -> None:
    targets = load_targets()
    names = {t.name for t in targets}
    assert {"mortality_mild_control", "mortality_moderate_control", "mortality_severe_control"} <= names
    assert {
        "ventilation_days_severe",
        "meta_analysis_rr_28d",
    } <= names
    # Every target is computed from simulated patients; none reads a parameter back.
    assert "msc_lung_half_life" not in names
    assert {t.quantity for t in targets} <= set(SIMULATED_QUANTITIES)
    # Single published trials are validation targets, never fitted (stromal validate).
    assert not {"start_2a_rr_28d", "stroma_cov2_pf_change_effect"} & names
    for t in targets:
        assert t.low <= t.value <= t.high and t.source


def test_every_fitted_parameter_has_a_search_box_around_its_nominal_value() -> None:
    assert set(BOUNDS) == set(FITTED)
    for low, high in BOUNDS.values():
        assert 0 < low < 1 < high


def test_the_objective_counts_each_miss_in_units_of_its_published_range() -> None:
    targets = [t for t in load_targets() if t.name == "mortality_severe_control"]
    half = (targets[0].high - targets[0].low) / 2
    assert _loss(targets, {"mortality_severe_control": targets[0].value}) == 0.0
    assert _loss(targets, {"mortality_severe_control": targets[0].value + 2 * half}) == pytest.approx(4.0)
    assert _loss(targets, {}) == 100.0


def test_the_installed_file_records_its_provenance() -> None:
    report = {
        "created": "2026-01-02T00:00:00+00:00",
        "command": "stromal calibrate --seed 3",
        "model_version": "0.1.0",
        "seed": 3,
        "n_per_arm": 40,
        "quick": False,
        "evaluations": 12,
        "loss_final": 1.5,
        "fitted": {"hazard_scale_per_h": np.float64(0.001)},
    }
    import tomllib

    data = tomllib.loads(calibrated_toml(report))
    assert data["parameters"] == {"hazard_scale_per_h": 0.001}
    assert data["provenance"]["seed"] == 3 and data["provenance"]["objective"] == 1.5
    assert data["provenance"]["command"] == "stromal calibrate --seed 3"


@pytest.mark.parametrize(
    "flag", [["--n-per-arm", "2"], ["--max-evaluations", "0"], ["--time-budget-s", "-1"]]
)
def test_the_cli_refuses_a_bad_budget_with_exit_code_2(
    flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", *flag]) == 2
    assert flag[0] in capsys.readouterr().err


@pytest.mark.slow
def test_a_quick_calibration_reports_every_target_with_its_simulated_value(tmp_path: Path) -> None:
    report = calibrate(quick=True, n_per_arm=6, max_evaluations=1)
    write_report(report, tmp_path)
    assert len(report["targets"]) == len(load_targets())
    assert all("within_range" in r and "simulated" in r for r in report["targets"])
    table = (tmp_path / "calibration.md").read_text()
    assert "mortality_severe_control" in table and "Misses are shown" in table
    assert "[parameters]" in (tmp_path / "calibrated.toml").read_text()
