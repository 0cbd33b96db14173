"""Allocation in a run trial is random, not only counted.

Reads the arm each enrolled patient was assigned by :func:`run_chunk` (the
throw-away SciPy engine: allocation does not depend on the engine) and checks
that it is neither a fixed function of enrolment order nor the same under
another seed, while each stratum stays balanced by its blocks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stromal.model.trial import block_size, run_chunk
from stromal.model.trial_config import trial_config_from_dict
from tests.model.fake_engine import FAKE_ENGINE
from tests.model.test_trial import small_config

WEIGHTS = (1, 2)


def _assigned(seed: int, n: int = 36) -> pd.DataFrame:
    raw = small_config(n_per_arm=12, chunk_size=n, long_term=False).raw
    raw = {
        **raw,
        "seed": seed,
        "analysis": {**raw["analysis"], "paired": False},
        "arm": [raw["arm"][0], {**raw["arm"][1], "allocation": 2}],
    }
    chunk = run_chunk(trial_config_from_dict(raw), 0, n, engine=FAKE_ENGINE)
    rows = chunk.outcomes[chunk.outcomes["assigned"]].sort_values("patient_id")
    return rows[["patient_id", "arm", "severity"]].reset_index(drop=True)


def test_each_stratum_gets_a_different_arm_sequence_under_each_seed() -> None:
    sequences: dict[str, set[tuple[str, ...]]] = {"moderate": set(), "severe": set()}
    for seed in range(6):
        rows = _assigned(seed)
        for level, seq in sequences.items():
            seq.add(tuple(rows.loc[rows["severity"] == level, "arm"])[:8])
    # A rule by position within the stratum (first a third to control, alternation, ...) gives
    # one sequence of the first 8 patients whatever the seed.
    assert all(len(seq) >= 5 for seq in sequences.values())


def test_the_arm_is_not_a_function_of_enrolment_order() -> None:
    rows = _assigned(4)
    arm = rows["arm"].to_numpy()
    assert set(arm) == {"control", "msc_iv"}
    ids = rows["patient_id"].to_numpy()
    for k in (2, 3):  # neither alternation nor every third patient
        assert any(len(set(arm[ids % k == r])) > 1 for r in range(k))
    first, last = arm[: len(arm) // 2], arm[len(arm) // 2 :]
    assert "control" in first and "control" in last  # controls are not enrolled in one run


def test_every_patient_is_assigned_once_and_each_stratum_is_balanced_by_its_blocks() -> None:
    for seed in range(4):
        rows = _assigned(seed)
        assert rows["patient_id"].is_unique and len(rows) == 36
        assert rows["arm"].value_counts().to_dict() == {"msc_iv": 24, "control": 12}
        for _, stratum in rows.groupby("severity"):
            treated = int((stratum["arm"] == "msc_iv").sum())
            expected = 2 * len(stratum) / 3
            assert abs(treated - expected) < block_size(WEIGHTS)


def test_the_same_seed_assigns_the_same_arms() -> None:
    a, b = _assigned(9), _assigned(9)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["arm"].to_numpy(), _assigned(10)["arm"].to_numpy())
