"""Held-out validation designs: sourced, apart from the calibration targets, and run by
``stromal validate`` with the real engine."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from stromal.cli import main
from stromal.model.calibration import load_targets
from stromal.model.validation import _verdicts, load_validation_trials, trial_config


def test_the_four_published_trials_are_validation_targets_with_sources_and_cis() -> None:
    trials = {t.name: t for t in load_validation_trials()}
    assert {"START 2019", "Bowdish 2023", "STROMA-CoV-2 2022", "Lanzoni 2021"} <= set(trials)
    for t in trials.values():
        assert t.low <= t.value <= t.high and "doi:" in t.source and t.n_treated > 0 and t.n_control > 0
    start = trials["START 2019"]
    assert start.source.startswith("Matthay MA") and (start.value, start.low, start.high) == (2.0, 0.64, 6.29)


def test_no_validation_trial_is_a_calibration_target() -> None:
    calibration_sources = " ".join(t.source for t in load_targets())
    for t in load_validation_trials():
        first_author = t.source.split()[0]
        assert first_author not in calibration_sources, f"{t.name} is also fitted"


def test_each_design_is_run_as_published() -> None:
    trials = {t.name: t for t in load_validation_trials()}
    start = trial_config(trials["START 2019"], n_per_arm=10)
    assert dict(zip((a.name for a in start.arms), start.weights, strict=True)) == {"control": 1, "msc": 2}
    (msc,) = [a for a in start.arms if a.name == "msc"]
    assert msc.dose_cells_per_kg == 10e6 and msc.days == (0,)
    assert start.population.pf_enrolment_mmhg[1] < 200 and start.population.n_per_arm == 10
    bowdish = trial_config(trials["Bowdish 2023"], n_per_arm=10)
    (msc,) = [a for a in bowdish.arms if a.name == "msc"]
    assert msc.dose_cells_per_kg == 2e6 and len(msc.days) == 2
    assert all(t.population.calibrated for t in (start, bowdish))


def test_a_published_ratio_far_outside_the_prediction_is_a_miss() -> None:
    (start,) = [t for t in load_validation_trials() if t.name == "START 2019"]
    miss = _verdicts(start, 0.5, [0.45, 0.55])
    assert miss["published_inside_ui"] is False and miss["compatible"] is False
    hit = _verdicts(start, 1.8, [1.2, 2.6])
    assert hit["published_inside_ui"] is True and hit["compatible"] is True
    assert _verdicts(start, 0.5, None)["compatible"] is None


@pytest.mark.slow
def test_stromal_validate_writes_the_table_at_tiny_n(tmp_path: Path) -> None:
    assert main(["validate", "--out", str(tmp_path), "--n-per-arm", "6", "--n-per-grade", "5"]) == 0
    report = json.loads((tmp_path / "validation.json").read_text())
    names = [r["trial"] for r in report["trials"]]
    assert len(names) == len(load_validation_trials())
    for row in report["trials"]:
        assert math.isfinite(row["predicted"]["value"])
        assert row["published"]["ci95"][0] <= row["published"]["value"] <= row["published"]["ci95"][1]
        assert row["predicted"]["ui95"] is not None or row["predicted"]["ui_reason"]
    start = next(r for r in report["trials"] if r["trial"] == "START 2019")
    assert start["simulated"]["allocation"] == {"control": 1, "msc": 2}
    table = (tmp_path / "validation.md").read_text()
    assert "| START 2019 |" in table and "published inside UI" in table
    checks = report["cohort_checks"]
    assert [g["grade"] for g in checks["grades"]] == ["mild", "moderate", "severe"]
    assert all(g["n"] == 5 for g in checks["grades"])
    assert {r["name"] for r in checks["long_term"]} >= {"dlco_1y", "six_mwd_5y"}
    assert "## Calibration targets out of sample" in table and "## Long-term outcomes of survivors" in table


def test_stromal_validate_refuses_a_tiny_n(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--n-per-arm", "1"]) == 2
    assert "--n-per-arm" in capsys.readouterr().err
    assert main(["validate", "--n-per-grade", "-1"]) == 2
    assert "--n-per-grade" in capsys.readouterr().err
