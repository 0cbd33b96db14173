"""Running trial chunks on a Dask cluster (``--scheduler tcp://HOST:PORT``).

Each chunk is a pure function of (configuration, chunk index): its patients,
allocation and death thresholds come from ``SeedSequence([seed, index])``
(:func:`stromal.model.trial.chunk_rngs`). Workers may finish in any order;
results are yielded in chunk order, so a trial gives identical outcomes on
one process or on any number of workers. Workers need ``stromal`` installed
(the engine compiles or loads its cached code on first use).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

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
    window: int | None = None,
) -> Iterator[ChunkResult]:
    """Run every chunk on the scheduler at ``scheduler`` and yield results in chunk order.

    ``scheduler`` is an address (``tcp://HOST:PORT``) or, for tests and
    notebooks, an existing ``distributed.Client``'s scheduler address.
    At most ``window`` chunks (default: twice the cluster's threads) are in
    flight or waiting to be read: a new chunk is submitted only when the
    oldest one has been handed on, so a million-patient trial never piles
    finished chunks up in the workers' memory.
    """
    from distributed import Client

    with Client(scheduler, timeout=timeout_s) as client:  # type: ignore[no-untyped-call]
        if window is None:
            threads = sum(client.nthreads().values())
            window = max(2, 2 * threads)
        todo = iter(plan)
        pending: deque[Any] = deque()

        def submit_next() -> None:
            item = next(todo, None)
            if item is not None:
                index, n = item
                pending.append(
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
                )

        for _ in range(window):
            submit_next()
        while pending:
            future = pending.popleft()
            result: ChunkResult = future.result()
            future.release()
            submit_next()
            yield result
