"""The streamed analysis (chunk-by-chunk sufficient statistics) equals the whole-table analysis.

Uses the throw-away SciPy engine in ``fake_engine``: this tests the
bookkeeping, not the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stromal.model import statistics as st
from stromal.model.status import SolverStatus
from stromal.model.tally import DEATH_TIME_RESOLUTION_DAYS, TrialTally
from stromal.model.trial import run_chunk
from tests.model.fake_engine import FAKE_ENGINE
from tests.model.test_trial import small_config


@pytest.fixture(scope="module")
def chunks() -> list[pd.DataFrame]:
    config = small_config(n_per_arm=12, chunk_size=12)
    return [run_chunk(config, i, 12, engine=FAKE_ENGINE).outcomes for i in range(3)]


def test_counts_means_and_medians_folded_per_chunk_equal_those_of_the_whole_table(
    chunks: list[pd.DataFrame],
) -> None:
    config = small_config(n_per_arm=12, chunk_size=12)
    tally = TrialTally.for_config(config).add_all(chunks)
    whole = pd.concat(chunks, ignore_index=True)
    assigned = whole[whole["assigned"]]
    assert tally.enrolled == len(assigned) == 36 and tally.rows == len(whole)
    for name, arm in tally.arms.items():
        rows = assigned[(assigned["arm"] == name) & (assigned["status"] == SolverStatus.OK)]
        assert arm.n_ok == len(rows)
        assert arm.deaths_by[28] == int(rows["died_28d"].sum())
        assert arm.vfd.estimate().value == pytest.approx(rows["ventilator_free_days_28d"].mean(), rel=1e-12)
        assert abs(arm.pf[7].quantile(0.5) - float(rows["pf_day7"].median())) <= 0.25 + 1e-9
        assert (
            abs(arm.long_term["fvc_pct_1y"].quantile(0.5) - float(rows["fvc_pct_1y"].median()))
            <= 0.025 + 1e-9
        )


def test_survival_from_the_death_time_grid_equals_kaplan_meier_on_the_patients(
    chunks: list[pd.DataFrame],
) -> None:
    config = small_config(n_per_arm=12, chunk_size=12)
    tally = TrialTally.for_config(config).add_all(chunks)
    whole = pd.concat(chunks, ignore_index=True)
    ok = whole[whole["assigned"] & (whole["status"] == SolverStatus.OK)]
    for name, arm in tally.arms.items():
        rows = ok[ok["arm"] == name]
        km = st.kaplan_meier_counts(arm.time_grid_days, arm.death_counts, arm.censored_counts)
        raw = st.kaplan_meier(rows["follow_up_days"].to_numpy(np.float64), rows["died"].to_numpy(bool))
        for day in (3.0, 7.0, 28.0, 90.0):
            assert km.at(day) == pytest.approx(raw.at(day), abs=1e-12)
    # The log-rank test on the grid equals the per-patient test on times rounded up to the grid.
    t, c = ok[ok["arm"] == "msc_iv"], ok[ok["arm"] == "control"]

    def grid(x: pd.Series) -> np.ndarray:
        return (
            np.ceil(x.to_numpy(np.float64) / DEATH_TIME_RESOLUTION_DAYS - 1e-9) * DEATH_TIME_RESOLUTION_DAYS
        )

    expected = st.logrank_test(
        grid(t["follow_up_days"]),
        t["died"].to_numpy(bool),
        grid(c["follow_up_days"]),
        c["died"].to_numpy(bool),
    )
    arm_t, arm_c = tally.arms["msc_iv"], tally.arms["control"]
    assert st.logrank_counts(
        arm_t.death_counts, arm_t.censored_counts, arm_c.death_counts, arm_c.censored_counts
    ) == pytest.approx(expected, rel=1e-9)


def test_paired_and_subgroup_tallies_match_the_patients_they_summarise(chunks: list[pd.DataFrame]) -> None:
    config = small_config(n_per_arm=12, chunk_size=12)
    tally = TrialTally.for_config(config).add_all(chunks)
    whole = pd.concat(chunks, ignore_index=True)
    t = whole[whole["arm"] == "msc_iv"].set_index("patient_id")
    c = whole[whole["arm"] == "control"].set_index("patient_id").loc[t.index]
    ok = (t["status"] == SolverStatus.OK) & (c["status"] == SolverStatus.OK)
    expected = st.paired_risk_difference(
        t.loc[ok, "died_28d"].to_numpy(bool), c.loc[ok, "died_28d"].to_numpy(bool)
    )
    paired = tally.paired["msc_iv"]
    assert paired.n == int(ok.sum())
    assert paired.difference.estimate().value == pytest.approx(expected.value, abs=1e-12)
    assigned = whole[whole["assigned"] & (whole["status"] == SolverStatus.OK)]
    for (arm, variable, level), (n_t, d_t, n_c, d_c) in tally.subgroups.items():
        if variable != "severity":
            continue
        sub = assigned[assigned["severity"] == level]
        assert n_t == int((sub["arm"] == arm).sum()) and n_c == int((sub["arm"] == "control").sum())
        assert d_t == int(sub.loc[sub["arm"] == arm, "died_28d"].sum())
        assert d_c == int(sub.loc[sub["arm"] == "control", "died_28d"].sum())


def test_the_tally_does_not_grow_with_the_number_of_patients(chunks: list[pd.DataFrame]) -> None:
    config = small_config(n_per_arm=12, chunk_size=12)

    def array_bytes(tally: TrialTally) -> int:
        return sum(
            a.death_counts.nbytes + sum(h.counts.nbytes for h in [*a.pf, *a.long_term.values()])
            for a in tally.arms.values()
        )

    one = TrialTally.for_config(config).add_all(chunks[:1])
    three = TrialTally.for_config(config).add_all(chunks)
    assert array_bytes(one) == array_bytes(three)
    assert three.enrolled == 3 * one.enrolled


def test_the_report_names_the_calibration_it_used_with_its_provenance(chunks: list[pd.DataFrame]) -> None:
    from stromal.model.report import render_html, summarise

    config = small_config(n_per_arm=12, chunk_size=12)
    tally = TrialTally.for_config(config).add_all(chunks)
    calibration = {
        "used": True,
        "file": "stromal/model/calibrated.toml",
        "sha256": "ab" * 32,
        "provenance": "Fitted by `stromal calibrate` on 2026-01-02 (model 0.1.0, seed 3).",
        "parameters": {"k_pg": 0.5},
    }
    summary = summarise(config, tally, model_version="9.9.9", population={}, calibration=calibration)
    assert summary["calibration"]["used"] and "Calibrated parameters were used" in summary["uncertainty"]
    assert summary["model_version"] == "9.9.9" and summary["seed"] == 7
    html = render_html(summary, tally, config)
    assert "calibrated from stromal/model/calibrated.toml (sha256 abababababab)" in html
    assert "on 2026-01-02 (model 0.1.0, seed 3)" in html and "k_pg = 0.5" in html
    assert "Model version <strong>9.9.9</strong>" in html and "Research model" in html
