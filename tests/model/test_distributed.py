"""A trial on a Dask LocalCluster equals the single-process run (real engine)."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from stromal.model.distributed import map_chunks
from stromal.model.trial import chunk_plan, iter_chunks
from stromal.model.trial_config import trial_config_from_dict
from tests.model.test_trial_config import example


@pytest.mark.slow
def test_a_dask_cluster_gives_identical_outcomes_to_one_process() -> None:
    # Small on purpose: two arms, four patients per arm, two chunks (enough to
    # show that chunk order and seeding do not depend on where a chunk runs).
    raw = example()
    raw["arm"] = raw["arm"][:2]
    raw["days"] = 28
    raw["population"]["n_per_arm"] = 4
    raw["chunk_size"] = 4
    raw["analysis"] = {"long_term": False}
    config = trial_config_from_dict(raw)
    assert len(chunk_plan(config)) == 2
    local = pd.concat([c.outcomes for c in iter_chunks(config)], ignore_index=True)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)  # type: ignore[no-untyped-call]
    with cluster, Client(cluster):  # type: ignore[no-untyped-call]
        remote = pd.concat(
            [c.outcomes for c in iter_chunks(config, scheduler=cluster.scheduler_address)], ignore_index=True
        )
        # One chunk in flight at a time (the bounded window): same outcomes, same order.
        one_at_a_time = pd.concat(
            [
                c.outcomes
                for c in map_chunks(config, chunk_plan(config), scheduler=cluster.scheduler_address, window=1)
            ],
            ignore_index=True,
        )
    pd.testing.assert_frame_equal(local, remote)
    pd.testing.assert_frame_equal(local, one_at_a_time)
