"""Running trial chunks on a Dask cluster (``--scheduler tcp://HOST:PORT``).

Each chunk is a pure function of (configuration, chunk index): its patients,
allocation and death thresholds come from ``SeedSequence([seed, index])``
(:func:`stromal.model.trial.chunk_rngs`). Workers may finish in any order;
results are yielded in chunk order, so a trial gives identical outcomes on
one process or on any number of workers. Workers need ``stromal`` installed
(the engine compiles or loads its cached code on first use).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stromal.clinical.protocol import Arm
    from stromal.model.trial import ChunkResult
    from stromal.model.trial_config import TrialConfig


def _run(
    config: TrialConfig, index: int, n: int, arms: Sequence[Arm] | None, paired: bool | None
) -> ChunkResult:
    from stromal.model.trial import run_chunk

    return run_chunk(config, index, n, arms=arms, paired=paired)


def map_chunks(
    config: TrialConfig,
    plan: Sequence[tuple[int, int]],
    *,
    scheduler: str,
    arms: Sequence[Arm] | None = None,
    paired: bool | None = None,
    timeout_s: float = 30.0,
) -> Iterator[ChunkResult]:
    """Submit every chunk to the scheduler at ``scheduler`` and yield results in chunk order.

    ``scheduler`` is an address (``tcp://HOST:PORT``) or, for tests and
    notebooks, an existing ``distributed.Client``'s scheduler address.
    Only a bounded window of results is held at once, so memory stays
    proportional to a few chunks.
    """
    from distributed import Client

    with Client(scheduler, timeout=timeout_s) as client:  # type: ignore[no-untyped-call]
        futures = [
            client.submit(
                _run,
                config,
                index,
                n,
                arms,
                paired,
                key=f"stromal-chunk-{config.seed}-{index}-{id(plan)}",
                pure=False,
            )
            for index, n in plan
        ]
        for future in futures:
            result: ChunkResult = future.result()
            future.release()
            yield result
