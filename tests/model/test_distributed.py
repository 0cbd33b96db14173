"""A trial on a Dask LocalCluster equals the single-process run (real engine)."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from stromal.model.trial import chunk_plan, iter_chunks
from stromal.model.trial_config import trial_config_from_dict
from tests.model.test_trial_config import example


@pytest.mark.slow
def test_a_dask_cluster_gives_identical_outcomes_to_one_process() -> None:
    raw = example()
    raw["population"]["n_per_arm"] = 6
    raw["chunk_size"] = 6
    raw["analysis"] = {"long_term": False}
    config = trial_config_from_dict(raw)
    assert len(chunk_plan(config)) == 3
    local = pd.concat([c.outcomes for c in iter_chunks(config)], ignore_index=True)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)  # type: ignore[no-untyped-call]
    with cluster, Client(cluster):  # type: ignore[no-untyped-call]
        remote = pd.concat(
            [c.outcomes for c in iter_chunks(config, scheduler=cluster.scheduler_address)], ignore_index=True
        )
    pd.testing.assert_frame_equal(local, remote)
