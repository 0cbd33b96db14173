"""Calibration targets are sourced data; the report shows every target, misses included."""

from __future__ import annotations

from pathlib import Path

import pytest

from stromal.model.calibration import calibrate, load_targets, write_report


def test_every_target_has_a_value_inside_its_range_and_a_source() -> None:
    targets = load_targets()
    names = {t.name for t in targets}
    assert {"mortality_mild_control", "mortality_moderate_control", "mortality_severe_control"} <= names
    assert {
        "ventilation_days_severe",
        "msc_lung_half_life",
        "meta_analysis_rr_28d",
        "start_2a_rr_28d",
    } <= names
    for t in targets:
        assert t.low <= t.value <= t.high and t.source


@pytest.mark.slow
def test_a_quick_calibration_reports_every_target_with_its_simulated_value(tmp_path: Path) -> None:
    report = calibrate(quick=True, n_per_arm=6, max_evaluations=1)
    write_report(report, tmp_path)
    assert len(report["targets"]) == len(load_targets())
    assert all("within_range" in r and "simulated" in r for r in report["targets"])
    table = (tmp_path / "calibration.md").read_text()
    assert "mortality_severe_control" in table and "Misses are shown" in table
    assert "[parameters]" in (tmp_path / "calibrated.toml").read_text()
