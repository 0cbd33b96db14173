"""Trial orchestration: chunks, allocation, determinism, outputs.

Uses the throw-away SciPy engine in ``fake_engine``; the end-to-end and Dask
tests use the real engine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stromal.model.trial import (
    allocate,
    block_size,
    chunk_plan,
    read_outcomes,
    run_chunk,
    run_chunks,
    run_trial,
)
from stromal.model.trial_config import TrialConfig, trial_config_from_dict
from tests.model.fake_engine import FAKE_ENGINE
from tests.model.test_trial_config import example


def small_config(
    n_per_arm: int = 12, chunk_size: int = 18, *, long_term: bool = True, **extra: object
) -> TrialConfig:
    raw = example()
    raw["population"]["n_per_arm"] = n_per_arm
    raw["population"]["severity"] = {"mild": 0.0, "moderate": 0.6, "severe": 0.4}
    raw["population"]["calibrated"] = bool(extra.pop("population_calibrated", False))
    raw["chunk_size"] = chunk_size
    raw["analysis"] = {"power_trials": 20, "long_term": long_term}
    raw.update(extra)
    return trial_config_from_dict(raw)


def test_chunks_cover_the_trial_in_multiples_of_the_number_of_arms() -> None:
    config = small_config(n_per_arm=10, chunk_size=7)
    plan = chunk_plan(config)
    assert sum(n for _, n in plan) == 30
    assert all(n % 3 == 0 for _, n in plan)


def test_each_arm_gets_exactly_its_allocation_and_every_patient_is_twinned() -> None:
    config = small_config(long_term=False)
    chunk = run_chunk(config, 0, 18, engine=FAKE_ENGINE)
    assigned = chunk.outcomes[chunk.outcomes["assigned"]]
    assert assigned["arm"].value_counts().to_dict() == {"control": 6, "msc_iv": 6, "exosome_inhaled": 6}
    assert len(chunk.outcomes) == 3 * 18  # paired: every patient under every arm
    assert chunk.outcomes.groupby("patient_id")["assigned"].sum().eq(1).all()


def test_the_same_seed_gives_identical_outcomes_and_another_seed_does_not() -> None:
    config = small_config(long_term=False)
    a = run_chunk(config, 0, 9, engine=FAKE_ENGINE).outcomes
    b = run_chunk(config, 0, 9, engine=FAKE_ENGINE).outcomes
    pd.testing.assert_frame_equal(a, b)
    other = trial_config_from_dict({**config.raw, "seed": 8})
    c = run_chunk(other, 0, 9, engine=FAKE_ENGINE).outcomes
    assert not np.allclose(a["age_years"], c["age_years"])


def test_a_trial_writes_outcomes_summary_and_a_self_contained_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = small_config(sweep={"arm": "msc_iv", "dose_cells_per_kg": [1e6, 1e7], "n_patients": 10})
    summary = run_trial(config, tmp_path, engine=FAKE_ENGINE, progress=True)
    # The progress bar goes to stderr and counts trial and sweep patients.
    bar = capsys.readouterr().err
    assert "sweep" in bar and "54/54" in bar
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["seed"] == 7 and [a["name"] for a in on_disk["arms"]] == [
        "control",
        "msc_iv",
        "exosome_inhaled",
    ]
    assert {c["arm"] for c in on_disk["comparisons"]} == {"msc_iv", "exosome_inhaled"}
    assert len(summary["sweep"]) == 2 and summary["subgroups"] and summary["power"]
    assert len(read_outcomes(tmp_path / "outcomes")) == 3 * 36
    html = (tmp_path / "report.html").read_text()
    assert "Research model" in html and "seed <strong>7</strong>" in html
    # Every report states its uncertainty, its precision and whether calibrated parameters were used.
    assert on_disk["calibration"]["used"] is False and "not calibrated" in html
    assert "do not include structural model uncertainty" in html and "within half a bin" in html
    # plotly.js is embedded, so nothing is fetched: no script, stylesheet or image from a URL.
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", html)
    assert len(html) > 1_000_000


def test_an_allocation_of_2_gives_exactly_a_2_to_1_split_in_one_block() -> None:
    strata = np.array(["moderate"] * 6)
    for seed in range(20):
        arms = allocate(strata, (1, 2), np.random.default_rng(seed))
        assert np.bincount(arms, minlength=2).tolist() == [2, 4]
    assert block_size((1, 2)) == 6 and block_size((1, 1)) == 4 and block_size((1, 1, 1)) == 6


@given(
    weights=st.lists(st.integers(1, 3), min_size=2, max_size=3),
    counts=st.lists(st.integers(0, 40), min_size=3, max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_stratified_blocks_keep_the_ratio_within_each_stratum_and_exactly_over_the_chunk(
    weights: list[int], counts: list[int], seed: int
) -> None:
    strata = np.repeat(np.array(["mild", "moderate", "severe"]), counts)
    np.random.default_rng(seed).shuffle(strata)
    arms = allocate(strata, weights, np.random.default_rng(seed))
    assert arms.min(initial=0) >= 0
    total = sum(weights)
    m = len(strata)
    if m % total == 0:
        # A chunk of whole allocation units: every arm gets exactly its share.
        assert np.bincount(arms, minlength=len(weights)).tolist() == [m // total * w for w in weights]
    for level in ("mild", "moderate", "severe"):
        got = np.bincount(arms[strata == level], minlength=len(weights))
        expected = np.array(weights) * (strata == level).sum() / total
        # Within a stratum the split misses its ratio by less than one block per arm.
        assert np.all(np.abs(got - expected) < block_size(weights))


def test_allocation_is_randomised_not_only_counted() -> None:
    strata = np.array(["moderate", "severe"] * 30)
    orders = {tuple(allocate(strata, (1, 2), np.random.default_rng(seed))) for seed in range(10)}
    assert len(orders) == 10  # the order differs across seeds
    arms = allocate(strata, (1, 1), np.random.default_rng(3))
    # Not a fixed pattern such as alternation: some neighbours in a stratum share an arm.
    moderate = arms[strata == "moderate"]
    assert (moderate[1:] == moderate[:-1]).any() and (moderate[1:] != moderate[:-1]).any()


def test_a_2_to_1_trial_allocates_two_treated_per_control_and_still_twins_every_patient() -> None:
    raw = small_config(long_term=False).raw
    raw = {**raw, "arm": [raw["arm"][0], {**raw["arm"][1], "allocation": 2}]}
    config = trial_config_from_dict(raw)
    plan = chunk_plan(config)
    assert all(n % 3 == 0 for _, n in plan) and sum(n for _, n in plan) == 36
    chunk = run_chunk(config, 0, 18, engine=FAKE_ENGINE)
    assigned = chunk.outcomes[chunk.outcomes["assigned"]]
    assert assigned["arm"].value_counts().to_dict() == {"msc_iv": 12, "control": 6}
    assert len(chunk.outcomes) == 2 * 18  # paired: every patient under both arms
    assert chunk.outcomes.groupby("patient_id")["assigned"].sum().eq(1).all()
    twins = chunk.outcomes.pivot(index="patient_id", columns="arm", values="age_years")
    assert (twins["control"] == twins["msc_iv"]).all()  # the same patient under each arm


@pytest.mark.parametrize("calibrated", [False, True])
def test_chunks_run_together_give_exactly_the_outcomes_of_chunks_run_one_at_a_time(calibrated: bool) -> None:
    # Real engine: its patients are solved independently, so grouping must not move a single bit
    # (calibrated = true also spreads patients over the installed posterior sets, when there are any).
    config = small_config(n_per_arm=12, chunk_size=18, long_term=False, population_calibrated=calibrated)
    plan = chunk_plan(config)
    together = run_chunks(config, plan, call_patients=20)
    alone = [run_chunk(config, index, n) for index, n in plan]
    assert len(plan) == 2
    for a, b in zip(together, alone, strict=True):
        pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
        assert (a.n_candidates, a.rejected, a.shortfall) == (b.n_candidates, b.rejected, b.shortfall)
