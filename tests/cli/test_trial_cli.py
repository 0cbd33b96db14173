"""``stromal trial`` and ``stromal simulate`` through the command line, with the real engine.

Kept small (a few virtual patients, short horizons) so the real engine runs
end to end in seconds. One test starts a real ``stromal`` process; the others
call the same CLI entry point in-process, which skips interpreter start-up.
"""

from __future__ import annotations

import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

TINY = """
seed = 7
days = 90
chunk_size = 12
[population]
n_per_arm = 4
severity = { mild = 0.3, moderate = 0.45, severe = 0.25 }
aetiology = { viral = 0.6, sepsis = 0.3, trauma = 0.1 }
age_years = [18, 80]
[analysis]
power_trials = 10
long_term = false
[[arm]]
name = "control"
[[arm]]
name = "msc_iv"
route = "iv"
dose_cells_per_kg = 1e6
weight_basis = "actual"
days = [1, 2]
viability_pct = 90
[[arm]]
name = "exosome_inhaled"
route = "inhaled"
dose_particles = 2e8
days = [1, 2, 3, 4, 5]
device = "mesh"
"""


def stromal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stromal.cli", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_a_tiny_trial_writes_the_contracted_summary_and_a_self_contained_report(tmp_path: Path) -> None:
    config = tmp_path / "trial.toml"
    config.write_text(TINY)
    done = stromal("trial", "--config", str(config), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "patient/s" not in done.stderr  # no bar with --quiet
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert {
        "model_version",
        "seed",
        "arms",
        "comparisons",
        "disclaimer",
        "uncertainty",
        "calibration",
    } <= set(summary)
    assert len(list((tmp_path / "out" / "outcomes").glob("part-*.parquet"))) == 1
    assert summary["seed"] == 7
    for arm in summary["arms"]:
        assert {
            "name",
            "n",
            "mortality_28d",
            "mortality_28d_ci95",
            "mortality_90d",
            "ventilator_free_days_28d_mean",
            "pf_ratio_day7_median",
            "failed",
        } <= set(arm)
        assert arm["n"] == 4
    assert {c["arm"] for c in summary["comparisons"]} == {"msc_iv", "exosome_inhaled"}
    for c in summary["comparisons"]:
        assert {"risk_ratio_28d", "risk_ratio_28d_ci95"} <= set(c)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Research model" in html and summary["model_version"] in html
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", html)


def stromal_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from stromal.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("seed = 7", "seed = 7\nsede = 3"), "sede"),
        (("dose_cells_per_kg = 1e6", "dose_cells_per_kg = -1"), "arm[1].dose_cells_per_kg"),
        (("severe = 0.25", "severe = 0.5"), "population.severity"),
        (('route = "iv"', 'route = "intrathecal"'), "arm[1].route"),
    ],
)
def test_an_invalid_config_exits_2_naming_the_key_and_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], key: str
) -> None:
    config = tmp_path / "trial.toml"
    config.write_text(TINY.replace(*change, 1))
    code, _, err = stromal_in_process(
        capsys, "trial", "--config", str(config), "--out", str(tmp_path / "out")
    )
    assert code == 2
    assert f"{key}:" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_invalid_config_process_exits_2_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "trial.toml"
    config.write_text(TINY.replace("severe = 0.25", "severe = 0.5", 1))
    done = stromal("trial", "--config", str(config), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "population.severity: fractions must sum to 1" in done.stderr and "Traceback" not in done.stderr


def test_simulate_writes_a_csv_of_states_and_observables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "one.csv"
    code, stdout, err = stromal_in_process(capsys, "simulate", "--days", "2", "--out", str(out))
    assert code == 0, err
    header = out.read_text().splitlines()[0].split(",")
    assert {"patient", "t_h", "pf_ratio", "cumulative_death_hazard"} <= set(header)
    assert len(out.read_text().splitlines()) == 1 + 49
    assert "model" in stdout


def test_the_notebook_example_runs_with_small_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = Path(__file__).parents[2] / "examples" / "trial_in_a_notebook.py"
    argv = sys.argv
    sys.argv = [str(example), "--n-per-arm", "3", "--out", str(tmp_path)]
    try:
        runpy.run_path(str(example), run_name="__main__")
    finally:
        sys.argv = argv
    stdout = capsys.readouterr().out
    assert "RR 28d msc_iv" in stdout
    assert (tmp_path / "summary.json").is_file() and (tmp_path / "report.html").is_file()


def test_simulate_writes_a_cohort_in_batches_identical_to_one_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from stromal.cli import simulate

    args = ("simulate", "--n", "3", "--days", "1", "--step-h", "2", "--seed", "4")
    code, _, err = stromal_in_process(capsys, *args, "--out", str(tmp_path / "one.parquet"))
    assert code == 0, err
    monkeypatch.setattr(simulate, "ROWS_PER_BATCH", 13)  # one patient (13 output times) per batch
    code, stdout, err = stromal_in_process(capsys, *args, "--out", str(tmp_path / "batched.parquet"))
    assert code == 0, err
    one = pd.read_parquet(tmp_path / "one.parquet")
    batched = pd.read_parquet(tmp_path / "batched.parquet")
    assert len(batched) == 3 * 13 and sorted(batched["patient"].unique()) == [0, 1, 2]
    pd.testing.assert_frame_equal(one, batched)
    assert "3 patients × 13 times" in stdout


def test_a_dose_outside_the_studied_range_exits_2_naming_the_key_the_range_and_its_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "trial.toml"
    config.write_text(TINY.replace("dose_cells_per_kg = 1e6", "dose_cells_per_kg = 1e9", 1))
    code, _, err = stromal_in_process(
        capsys, "trial", "--config", str(config), "--out", str(tmp_path / "out")
    )
    assert code == 2 and "Traceback" not in err
    assert "arm[1].dose_cells_per_kg:" in err and "1e+06–1e+07 cells/kg per administration" in err
    assert "Matthay" in err and "Bowdish" in err and "Monsel" in err and "allow_extrapolation = true" in err
    assert not (tmp_path / "out").exists()


def test_an_allowed_extrapolated_dose_runs_and_every_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "trial.toml"
    config.write_text(
        "allow_extrapolation = true\n" + TINY.replace("dose_cells_per_kg = 1e6", "dose_cells_per_kg = 5e7", 1)
    )
    out = tmp_path / "out"
    code, _, err = stromal_in_process(capsys, "trial", "--config", str(config), "--out", str(out), "--quiet")
    assert code == 0, err
    assert "warning: arm[1].dose_cells_per_kg: extrapolated dose" in err
    summary = json.loads((out / "summary.json").read_text())
    (extrapolated,) = summary["dose_extrapolated"]
    assert extrapolated["key"] == "arm[1].dose_cells_per_kg" and extrapolated["dose"] == 5e7
    assert (extrapolated["studied_low"], extrapolated["studied_high"]) == (1e6, 1e7)
    html = (out / "report.html").read_text()
    assert 'id="dose-extrapolated"' in html and "arm[1].dose_cells_per_kg" in html


def test_a_dose_inside_the_range_is_not_marked_extrapolated(tmp_path: Path) -> None:
    import tomllib

    from stromal.model.trial_config import trial_config_from_dict

    config = trial_config_from_dict(tomllib.loads(TINY))
    assert config.extrapolated_doses() == []


def test_trial_help_points_to_the_config_reference(capsys: pytest.CaptureFixture[str]) -> None:
    from stromal.cli import main

    with pytest.raises(SystemExit):
        main(["trial", "--help"])
    text = capsys.readouterr().out
    assert "docs/trial-config.md" in text and "examples/" in text


EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.toml"))


def test_the_examples_cover_the_designs_the_docs_promise() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"two_arm_trial", "start_like_2to1", "dose_sweep", "inhaled_exosome_trial"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_toml_runs_with_a_small_n(example: Path, tmp_path: Path) -> None:
    import tomllib

    from stromal.model.trial import run_trial
    from stromal.model.trial_config import load_trial_config, trial_config_from_dict

    load_trial_config(example)  # the file as shipped is valid
    raw = tomllib.loads(example.read_text(encoding="utf-8"))
    # The same design, smaller: a few patients per unit of allocation, a small sweep, few power trials.
    raw["population"]["n_per_arm"] = 3
    raw.setdefault("analysis", {})["power_trials"] = 5
    raw["analysis"]["power_n_per_arm"] = []
    if "sweep" in raw:
        raw["sweep"]["n_patients"] = 10
    summary = run_trial(trial_config_from_dict(raw), tmp_path / "out")
    weights = [arm.get("allocation", 1) for arm in raw["arm"]]
    assert [a["n"] for a in summary["arms"]] == [3 * w for w in weights]
    assert summary["dose_extrapolated"] == []
    assert bool(summary["sweep"]) == ("sweep" in raw)
    assert (tmp_path / "out" / "report.html").is_file()
