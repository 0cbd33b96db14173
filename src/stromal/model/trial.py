"""In-silico trials: enrol virtual patients, randomise, simulate every arm, stream outcomes.

Design (stated in every report):

* The trial is cut into fixed chunks of patients. Chunk ``k`` draws its own
  patients, allocation and death thresholds from ``SeedSequence([seed, k])``,
  so results do not depend on how many workers run the chunks.
* Randomisation: stratified permuted blocks inside each chunk (see
  :func:`allocate`): arms get patients in the ratio of their ``allocation``
  weights, exactly over the chunk (chunk sizes are multiples of the sum of
  the weights, so an arm of weight w gets w × ``n_per_arm`` patients when the
  population fills its quotas) and within one block in every severity
  stratum.
* Paired "digital twin" design (``[analysis] paired = true``, default): every
  enrolled virtual patient is also simulated under every arm, with the same
  parameters and the same death threshold (common random numbers). The
  randomised estimate uses only each patient's allocated arm, as a real
  trial would; the paired estimate uses every patient under every arm.
* Parameter uncertainty: with a calibrated population and an installed
  posterior ensemble (``posterior.json``, ``stromal calibrate --posterior
  --install``) of the same model version, each enrolled patient is drawn
  under one of the first ``POSTERIOR_DRAWS_PER_TRIAL`` posterior parameter
  sets (column ``posterior_draw``): enrolment screening and every arm use
  that set. The summary's ``risk_ratio_28d_ui95`` pools the per-draw risk
  ratios (:func:`stromal.model.statistics.risk_ratio_across_draws`).
* Per-patient outcomes are written chunk by chunk as Parquet files and
  folded into a :class:`~stromal.model.tally.TrialTally` (sufficient
  statistics), from which the summary and report are computed; nothing reads
  the whole table back, so memory is bounded by one chunk, not by the trial
  size.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from stromal.clinical.protocol import Arm
from stromal.model import endpoints as ep
from stromal.model.population import (
    Engine,
    VirtualPopulation,
    generate_populations,
    real_engine,
)
from stromal.model.status import SolverStatus
from stromal.model.trial_config import TrialConfig

if TYPE_CHECKING:
    # pandas is imported where it is used: `stromal trial` starts simulating
    # before paying for it.
    import pandas as pd

FloatArray = npt.NDArray[np.float64]

PF_DAYS = ep.PF_DAYS
MORTALITY_DAYS = (28, 60, 90)

#: Posterior parameter sets a trial spreads its patients over (the first K of
#: ``posterior.json``'s draws, which are stored in random order). More sets
#: describe the posterior better; fewer leave more patients per set, so each
#: set's risk ratio is less noisy. 20 keeps at least 50 patients per set and
#: arm in a trial of 1,000 per arm.
POSTERIOR_DRAWS_PER_TRIAL = 20

#: ``SeedSequence([seed, chunk, POSTERIOR_STREAM])`` draws each patient's
#: posterior set, apart from the chunk's population, allocation and death streams.
POSTERIOR_STREAM = 7


@dataclass(frozen=True)
class PosteriorUse:
    """The posterior draws a trial uses (empty when none), and why, for every report."""

    draws: tuple[dict[str, float], ...]
    reason: str
    provenance: dict[str, Any]


def posterior_for(config: TrialConfig) -> PosteriorUse:
    """The posterior draws ``config`` uses: none unless the population is calibrated and a
    ``posterior.json`` of this model version is installed."""
    from stromal.model.posterior import load_posterior
    from stromal.model.version import MODEL_VERSION

    if not config.population.calibrated:
        return PosteriorUse((), "population.calibrated = false: no posterior draws (uncalibrated priors)", {})
    data = load_posterior()
    if data is None:
        return PosteriorUse(
            (),
            "no posterior.json is installed (run `stromal calibrate --posterior --install`): "
            "parameter uncertainty is not propagated",
            {},
        )
    if data.get("model_version") != MODEL_VERSION:
        return PosteriorUse(
            (),
            f"posterior.json was sampled for model {data.get('model_version')}, this is model {MODEL_VERSION}: "
            "rerun `stromal calibrate --posterior --install`",
            {},
        )
    draws = tuple(dict(d) for d in data["draws"][:POSTERIOR_DRAWS_PER_TRIAL])
    if len(draws) < 2:
        return PosteriorUse((), "posterior.json holds fewer than 2 draws", {})
    provenance = {
        "file": "stromal/model/posterior.json",
        "created": data.get("created"),
        "command": data.get("command"),
        "model_version": data.get("model_version"),
        "draws_in_file": len(data["draws"]),
        "draws_used": len(draws),
        "acceptance_fraction": data.get("acceptance_fraction"),
        "pinned": data.get("pinned", []),
    }
    return PosteriorUse(draws, f"patients drawn across {len(draws)} posterior parameter sets", provenance)


def draw_requests(
    n: int, draw_rng: np.random.Generator, draws: Sequence[dict[str, float]]
) -> list[tuple[int, int, dict[int, float]]]:
    """(set index, patients, parameter column -> factor) for every posterior set that gets patients.

    Each of the ``n`` patients is under a set drawn uniformly from ``draw_rng``;
    a set's columns are scaled by draw / calibrated value (a draw moves the
    population, as the point fit does).
    """
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS, calibrated_values

    base = calibrated_values()
    slots = draw_rng.integers(len(draws), size=n)
    requests: list[tuple[int, int, dict[int, float]]] = []
    for k, draw in enumerate(draws):
        m = int((slots == k).sum())
        if m == 0:
            continue
        ratios = {
            PARAMETER_INDEX[name]: value / base.get(name, PARAMETERS[PARAMETER_INDEX[name]].value)
            for name, value in draw.items()
        }
        requests.append((k, m, ratios))
    return requests


def merge_draws(
    parts: Sequence[tuple[int, VirtualPopulation]], draw_rng: np.random.Generator
) -> tuple[VirtualPopulation, npt.NDArray[np.intp]]:
    """The populations of the posterior sets ``(set index, population)`` interleaved in a random
    enrolment order from ``draw_rng``; (population, set index of every patient)."""
    pops = [p for _, p in parts if p.n > 0]
    every = [p for _, p in parts]
    if not pops:  # nobody enrolled under any set: the empty population, with its counts
        return replace(parts[0][1], n_candidates=sum(p.n_candidates for p in every)), np.empty(0, np.intp)
    index = np.concatenate([np.full(p.n, k, dtype=np.intp) for k, p in parts if p.n > 0])
    order = draw_rng.permutation(len(index))

    def merged(counts: list[Any]) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in counts:
            for key, value in c.items():
                out[key] = out.get(key, 0) + int(value)
        return out

    population = VirtualPopulation(
        params=np.vstack([p.params for p in pops])[order],
        y0=np.vstack([p.y0 for p in pops])[order],
        aetiology=np.concatenate([p.aetiology for p in pops])[order],
        severity=np.concatenate([p.severity for p in pops])[order],
        pf_enrolment_mmhg=np.concatenate([p.pf_enrolment_mmhg for p in pops])[order],
        onset_h=np.concatenate([p.onset_h for p in pops])[order],
        n_candidates=sum(p.n_candidates for p in every),
        n_failed=sum(p.n_failed for p in every),
        rejected=merged([p.rejected for p in every]),
        shortfall=merged([p.shortfall for p in every]),
    )
    return population, index[order]


def population_across_draws(
    n: int,
    config: TrialConfig,
    rng: np.random.Generator,
    draw_rng: np.random.Generator,
    draws: Sequence[dict[str, float]],
    engine: Engine,
) -> tuple[VirtualPopulation, npt.NDArray[np.intp]]:
    """Enrol ``n`` patients, each under a posterior set drawn uniformly; (population, set index).

    Each set's patients are screened and enrolled with that set's parameter
    values (see :func:`draw_requests`), one set after the other from ``rng``,
    then the sets are interleaved in a random enrolment order.
    """
    requests = draw_requests(n, draw_rng, draws)
    pops = generate_populations(
        [(rng, [(m, ratios) for _, m, ratios in requests])], config.population, engine=engine, batch_min=16
    )[0]
    return merge_draws([(k, p) for (k, _, _), p in zip(requests, pops, strict=True)], draw_rng)


def chunk_size_for(config: TrialConfig) -> int:
    """Chunk size rounded up to a multiple of the sum of the allocation weights."""
    k = sum(config.weights)
    return max(k, int(np.ceil(config.chunk_size / k)) * k)


#: Blocks hold this many allocation units (one unit = each arm ``allocation`` times).
BLOCK_UNITS = 2


def block_size(weights: Sequence[int]) -> int:
    """Patients per randomisation block: ``BLOCK_UNITS`` × the sum of the allocation weights.

    1:1 gives blocks of 4, 2:1 blocks of 6, 1:1:1 blocks of 6. Two units per
    block rather than one so that the last assignments of a block cannot be
    read off the first ones as easily (permuted-block randomisation with
    blocks of a few multiples of the ratio; Schulz KF, Grimes DA, Lancet
    2002;359:515-9, doi:10.1016/S0140-6736(02)07683-3). Allocation is
    concealed from nobody in silico; the rule keeps the designs alike.
    """
    return BLOCK_UNITS * sum(weights)


def allocate(
    strata: npt.NDArray[Any], weights: Sequence[int], rng: np.random.Generator
) -> npt.NDArray[np.intp]:
    """Stratified permuted-block randomisation: the arm index of every patient.

    Patients are taken stratum by stratum (``strata`` holds each patient's
    stratum: the Berlin severity grade; the virtual population has no sites,
    a site would join the stratum key) in enrolment order; each run of
    :func:`block_size` patients gets a random permutation of a block holding
    arm ``a`` ``BLOCK_UNITS × weights[a]`` times. The patients left over at
    the end of the strata (fewer than a block each) get a random permutation
    of the labels still owed to each arm, so that over a chunk whose size is a
    multiple of ``sum(weights)`` every arm gets exactly its share, and within a
    stratum the arms differ from their ratio by less than one block.
    """
    strata = np.asarray(strata)
    m = len(strata)
    unit = np.repeat(np.arange(len(weights)), weights)
    block = np.tile(unit, BLOCK_UNITS)
    out = np.full(m, -1, dtype=np.intp)
    leftover: list[npt.NDArray[np.intp]] = []
    for level in sorted(set(strata.tolist())):
        rows = np.nonzero(strata == level)[0]
        full = len(rows) // len(block) * len(block)
        for start in range(0, full, len(block)):
            out[rows[start : start + len(block)]] = rng.permutation(block)
        leftover.append(rows[full:])
    rest = np.concatenate(leftover) if leftover else np.empty(0, dtype=np.intp)
    owed = np.bincount(np.tile(unit, -(-m // len(unit))), minlength=len(weights)) - np.bincount(
        out[out >= 0], minlength=len(weights)
    )
    pool = rng.permutation(np.repeat(np.arange(len(weights)), owed))
    out[rest] = pool[: len(rest)]
    return out


def chunk_plan(config: TrialConfig) -> list[tuple[int, int]]:
    """(chunk index, patients in it) covering the whole trial."""
    size = chunk_size_for(config)
    total = config.n_patients
    return [(i, min(size, total - start)) for i, start in enumerate(range(0, total, size))]


def chunk_rngs(
    seed: int, chunk_index: int
) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent streams for population, allocation and death thresholds."""
    population, allocation, death = np.random.SeedSequence([seed, chunk_index]).spawn(3)
    return np.random.default_rng(population), np.random.default_rng(allocation), np.random.default_rng(death)


@dataclass(frozen=True)
class ChunkResult:
    index: int
    outcomes: pd.DataFrame
    n_candidates: int
    n_failed_candidates: int
    rejected: dict[str, int]
    shortfall: dict[str, int]
    seconds: float
    model_version: str = ""


def run_chunk(
    config: TrialConfig,
    chunk_index: int,
    n: int,
    *,
    arms: Sequence[Arm] | None = None,
    paired: bool | None = None,
    engine: Engine | None = None,
) -> ChunkResult:
    """Enrol, randomise and simulate one chunk. Pure given its arguments."""
    return run_chunks(config, [(chunk_index, n)], arms=arms, paired=paired, engine=engine)[0]


#: Patients handed to the engine in one call when arms are simulated, per
#: backend: enough to keep every CPU thread (or the GPU) busy, few enough that
#: one call's trajectories stay small (a 90-day course with long-term visits is
#: about 30 kB per patient on the CPU).
ARM_CALL_PATIENTS = {"cpu": 2048, "gpu": 65536}

#: Enrolled patients run together (several chunks) per backend: the
#: candidates of all their chunks are screened in shared engine calls.
GROUP_PATIENTS = {"cpu": 4000, "gpu": 100_000}


def _local_backend() -> str:
    """ "gpu" when the engine's automatic backend will pick a GPU here, else "cpu"."""
    from stromal.model import gpu

    return "gpu" if gpu.gpu_available() else "cpu"


def chunks_per_group(config: TrialConfig, backend: str = "cpu") -> int:
    """How many chunks :func:`iter_chunks` runs together on ``backend`` ("cpu" or "gpu")."""
    return max(1, GROUP_PATIENTS[backend] // chunk_size_for(config))


def _concat_populations(pops: Sequence[VirtualPopulation]) -> VirtualPopulation:
    """The rows of several populations, one after the other (counts are not merged)."""
    if len(pops) == 1:
        return pops[0]
    full = [p for p in pops if p.n > 0] or [pops[0]]
    return replace(
        full[0],
        params=np.vstack([p.params for p in full]),
        y0=np.vstack([p.y0 for p in full]),
        aetiology=np.concatenate([p.aetiology for p in full]),
        severity=np.concatenate([p.severity for p in full]),
        pf_enrolment_mmhg=np.concatenate([p.pf_enrolment_mmhg for p in full]),
        onset_h=np.concatenate([p.onset_h for p in full]),
    )


@dataclass(frozen=True)
class EnrolledChunk:
    """A chunk's enrolled patients with their arm, death threshold and posterior set (if any)."""

    index: int
    population: VirtualPopulation
    allocation: npt.NDArray[np.intp]
    threshold: FloatArray
    draw_index: npt.NDArray[np.intp] | None


def enrol_chunks(
    config: TrialConfig, chunks: Sequence[tuple[int, int]], *, engine: Engine | None = None
) -> list[EnrolledChunk]:
    """Enrol and randomise the chunks ``(chunk index, patients)``, each from its own streams.

    The candidates of all chunks are screened in shared engine calls
    (:func:`~stromal.model.population.generate_populations`); the result is
    the same as enrolling one chunk at a time.
    """
    engine = engine or real_engine()
    posterior = posterior_for(config)
    streams = [chunk_rngs(config.seed, index) for index, _ in chunks]
    draw_rngs: list[np.random.Generator] = []
    requests: list[list[tuple[int, int, dict[int, float]]]] = []
    for index, n in chunks:
        if posterior.draws:
            draw_rng = np.random.default_rng(np.random.SeedSequence([config.seed, index, POSTERIOR_STREAM]))
            draw_rngs.append(draw_rng)
            requests.append(draw_requests(n, draw_rng, posterior.draws))
        else:
            requests.append([(0, n, {})])
    pops_per_chunk = generate_populations(
        [
            (rngs[0], [(m, ratios) for _, m, ratios in req])
            for rngs, req in zip(streams, requests, strict=True)
        ],
        config.population,
        engine=engine,
        batch_min=16 if posterior.draws else 64,
    )
    populations: list[VirtualPopulation] = []
    draw_index: list[npt.NDArray[np.intp] | None] = []
    for c, pops in enumerate(pops_per_chunk):
        if posterior.draws:
            population, sets = merge_draws(
                [(k, p) for (k, _, _), p in zip(requests[c], pops, strict=True)], draw_rngs[c]
            )
            populations.append(population)
            draw_index.append(sets)
        else:
            populations.append(pops[0])
            draw_index.append(None)
    allocation = [
        allocate(p.severity, config.weights, s[1]) for p, s in zip(populations, streams, strict=True)
    ]
    threshold = [s[2].exponential(1.0, p.n) for p, s in zip(populations, streams, strict=True)]
    return [
        EnrolledChunk(index, population, alloc, death, sets)
        for (index, _), population, alloc, death, sets in zip(
            chunks, populations, allocation, threshold, draw_index, strict=True
        )
    ]


def run_chunks(
    config: TrialConfig,
    chunks: Sequence[tuple[int, int]],
    *,
    arms: Sequence[Arm] | None = None,
    paired: bool | None = None,
    engine: Engine | None = None,
    call_patients: int = ARM_CALL_PATIENTS["cpu"],
) -> list[ChunkResult]:
    """Enrol, randomise and simulate several chunks ``(chunk index, patients)`` together.

    The result is that of :func:`run_chunk` for each chunk (every chunk has
    its own random streams); running them together only lets the engine see
    larger batches: the chunks' candidates are screened in shared calls
    (:func:`~stromal.model.population.generate_populations`) and each arm is
    simulated for the patients of all chunks in calls of at most
    ``call_patients``. ``seconds`` of each chunk is its share of the group's
    wall time.
    """
    import time

    started = time.perf_counter()
    engine = engine or real_engine()
    is_sweep = arms is not None
    arms = tuple(arms) if arms is not None else config.arms
    paired = config.analysis.paired if paired is None else paired
    enrolled = enrol_chunks(config, chunks, engine=engine)
    populations = [e.population for e in enrolled]
    allocation = [e.allocation for e in enrolled]
    threshold = [e.threshold for e in enrolled]
    draw_index = [e.draw_index for e in enrolled]
    t_h = ep.output_grid_h(max(config.days, 28), long_term=config.analysis.long_term)
    whole = _concat_populations(populations)
    offsets = np.cumsum([0, *(p.n for p in populations)])
    all_threshold = np.concatenate(threshold) if threshold else np.empty(0)
    frames: list[list[pd.DataFrame]] = [[] for _ in chunks]
    for a, arm in enumerate(arms):
        # Sweep variants are never allocated: they are twins of the enrolled patients.
        assigned = [
            np.zeros(p.n, bool) if is_sweep else alloc == a
            for p, alloc in zip(populations, allocation, strict=True)
        ]
        rows = [np.arange(p.n) if paired else np.nonzero(assigned[c])[0] for c, p in enumerate(populations)]
        every = np.concatenate([r + offsets[c] for c, r in enumerate(rows)]) if rows else np.empty(0, np.intp)
        parts = [
            simulate_arm(config, arm, whole, every[i : i + call_patients], t_h, all_threshold, engine)
            for i in range(0, max(len(every), 1), call_patients)
        ]
        import pandas as pd  # after the first simulation: start-up does not wait for it

        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        start = 0
        for c, r in enumerate(rows):
            part = frame.iloc[start : start + len(r)].reset_index(drop=True)
            part.attrs["model_version"] = frame.attrs.get("model_version", "")
            start += len(r)
            part["row"] = r
            part.insert(0, "assigned", assigned[c][r])
            sets_c = draw_index[c]
            if sets_c is not None:
                part.insert(len(part.columns), "posterior_draw", sets_c[r].astype(np.int16))
            frames[c].append(part)
    import pandas as pd

    seconds = time.perf_counter() - started
    total = max(sum(n for _, n in chunks), 1)
    results = []
    for c, (chunk_index, n) in enumerate(chunks):
        chunk_frames = frames[c]
        outcomes = pd.concat(chunk_frames, ignore_index=True) if chunk_frames else pd.DataFrame()
        version = str(chunk_frames[0].attrs.get("model_version", "")) if chunk_frames else ""
        outcomes.attrs["model_version"] = version
        first_id = chunk_index * chunk_size_for(config)
        outcomes.insert(0, "patient_id", outcomes.pop("row").astype(np.int64) + first_id)
        outcomes.insert(1, "chunk", np.int32(chunk_index))
        population = populations[c]
        results.append(
            ChunkResult(
                index=chunk_index,
                outcomes=outcomes,
                n_candidates=population.n_candidates,
                n_failed_candidates=population.n_failed,
                rejected=dict(population.rejected),
                shortfall=dict(population.shortfall),
                seconds=seconds * n / total,
                model_version=version,
            )
        )
    return results


def simulate_arm(
    config: TrialConfig,
    arm: Arm,
    population: VirtualPopulation,
    rows: npt.NDArray[np.intp],
    t_h: FloatArray,
    threshold: FloatArray,
    engine: Engine,
) -> pd.DataFrame:
    """Simulate ``rows`` of the population under ``arm`` from enrolment; one outcome row each."""
    from stromal.model.parameters import PARAMETER_INDEX

    params = population.params[rows]
    col = {
        name: params[:, PARAMETER_INDEX[name]]
        for name in ("age_years", "sex_male", "height_cm", "weight_kg", "fio2")
    }
    if arm.is_control:
        doses = engine.no_doses(len(rows))
    else:
        doses = engine.dose_events_for_arm(
            arm,
            weight_kg=col["weight_kg"],
            height_cm=col["height_cm"],
            sex_male=col["sex_male"],
            params=params,
            enrolment_h=0.0,
        )
    result = engine.simulate(params, t_h, doses=doses, y0=population.y0[rows])
    status = np.asarray(result.status, dtype=np.int8)
    ok = status == SolverStatus.OK
    death_day = ep.death_time_days(t_h, result.state("cumulative_death_hazard"), threshold[rows])
    # Follow-up ends at `days`: later deaths are censored.
    death_day = np.where(death_day <= config.days, death_day, np.inf)
    pf = np.asarray(result.observables["pf_ratio"], dtype=np.float64)
    vent = ep.ventilation_days(
        t_h, pf, death_day, threshold_mmhg=config.analysis.ventilation_pf_threshold_mmhg
    )
    vfd = ep.ventilator_free_days(vent, death_day)
    data: dict[str, Any] = {
        "row": rows,
        "arm": arm.name,
        "status": status,
        "aetiology": population.aetiology[rows],
        "severity": population.severity[rows],
        "age_years": col["age_years"],
        "sex_male": col["sex_male"] > 0.5,
        "height_cm": col["height_cm"],
        "weight_kg": col["weight_kg"],
        "fio2": col["fio2"],
        "pf_enrolment_mmhg": population.pf_enrolment_mmhg[rows],
        "onset_to_enrolment_h": population.params[rows, PARAMETER_INDEX["enrolment_time_h"]]
        - population.onset_h[rows],
        "death_day": death_day,
        "follow_up_days": np.minimum(death_day, config.days),
        "died": np.isfinite(death_day).astype(np.float64),
    }
    for d in MORTALITY_DAYS:
        data[f"died_{d}d"] = (
            (death_day <= d).astype(np.float64) if d <= config.days else np.full(len(rows), np.nan)
        )
    data["ventilation_days_28d"] = vent
    data["ventilator_free_days_28d"] = vfd
    pf_days = ep.value_at_days(t_h, pf, PF_DAYS, death_day)
    for j, d in enumerate(PF_DAYS):
        data[f"pf_day{d}"] = pf_days[:, j].astype(np.float32)
    if config.analysis.long_term:
        visits = tuple(ep.LONG_TERM_DAYS.values())
        # Long-term outcomes are of survivors of the mortality follow-up.
        alive = np.where(np.isfinite(death_day), 0.0, np.inf)
        fvc = ep.value_at_days(t_h, np.asarray(result.observables["fvc_pct_predicted"]), visits, alive)
        dlco = ep.value_at_days(t_h, np.asarray(result.observables["dlco_pct_predicted"]), visits, alive)
        capacity = (
            ep.value_at_days(t_h, np.asarray(result.observables["walk_capacity_fraction"]), visits, alive)
            if "walk_capacity_fraction" in result.observables
            else np.full_like(dlco, ep.SURVIVOR_WALK_FRACTION)
        )
        walk_pred = ep.six_minute_walk_predicted_m(
            col["age_years"], col["height_cm"], col["weight_kg"], col["sex_male"]
        )
        for j, label in enumerate(ep.LONG_TERM_DAYS):
            data[f"fvc_pct_{label}"] = fvc[:, j]
            data[f"dlco_pct_{label}"] = dlco[:, j]
            data[f"six_mwd_m_{label}"] = ep.six_minute_walk_m(walk_pred, dlco[:, j], capacity[:, j])
    # A failed solve has no outcomes: keep the row and its status, blank the results.
    for key, value in data.items():
        if key.startswith(("death", "follow", "died", "vent", "pf_day", "fvc", "dlco", "six")):
            data[key] = np.where(ok, value, np.nan)
    import pandas as pd  # after the simulation: start-up does not wait for it

    frame = pd.DataFrame(data)
    frame.attrs["model_version"] = str(result.model_version)
    return frame


def iter_chunks(
    config: TrialConfig,
    *,
    scheduler: str | None = None,
    plan: list[tuple[int, int]] | None = None,
    arms: Sequence[Arm] | None = None,
    paired: bool | None = None,
    engine: Engine | None = None,
    group: int | None = None,
) -> Iterator[ChunkResult]:
    """Run chunks in index order, locally or on a Dask cluster.

    Locally, ``group`` chunks at a time run together (:func:`run_chunks`;
    default :func:`chunks_per_group` for the backend the real engine will
    use, the CPU for any other engine), which gives the same outcomes as one
    at a time with fewer, larger engine calls.
    """
    plan = plan if plan is not None else chunk_plan(config)
    if scheduler is None:
        backend = _local_backend() if engine is None else "cpu"
        size = group if group is not None else chunks_per_group(config, backend)
        for start in range(0, len(plan), size):
            yield from run_chunks(
                config,
                plan[start : start + size],
                arms=arms,
                paired=paired,
                engine=engine,
                call_patients=ARM_CALL_PATIENTS[backend],
            )
        return
    from stromal.model.distributed import map_chunks

    yield from map_chunks(config, plan, scheduler=scheduler, arms=arms, paired=paired)


def write_chunks(
    chunks: Iterator[ChunkResult],
    folder: Path,
    *,
    on_chunk: Callable[[ChunkResult], None] | None = None,
) -> dict[str, Any]:
    """Stream chunk outcomes to ``folder/part-NNNNN.parquet``; return population counts."""
    folder.mkdir(parents=True, exist_ok=True)
    totals: dict[str, Any] = {
        "n_candidates": 0,
        "n_failed_candidates": 0,
        "rejected": {},
        "shortfall": {},
        "seconds": 0.0,
        "model_version": "",
    }
    for chunk in chunks:
        totals["model_version"] = chunk.model_version or totals["model_version"]
        chunk.outcomes.to_parquet(folder / f"part-{chunk.index:05d}.parquet", index=False)
        totals["n_candidates"] += chunk.n_candidates
        totals["n_failed_candidates"] += chunk.n_failed_candidates
        totals["seconds"] += chunk.seconds
        for key in ("rejected", "shortfall"):
            for k, v in getattr(chunk, key).items():
                totals[key][k] = totals[key].get(k, 0) + v
        if on_chunk is not None:
            on_chunk(chunk)
    return totals


def read_outcomes(folder: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read back the streamed outcomes (optionally only some columns).

    For notebooks and small trials: this holds the whole table in memory
    (about 1.5 kB per patient and arm); :func:`run_trial` never calls it.
    """
    import pandas as pd

    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(columns=list(columns or []))
    return pd.concat(
        [pd.read_parquet(p, columns=list(columns) if columns else None) for p in parts], ignore_index=True
    )


def sweep_variants(config: TrialConfig) -> list[tuple[str, Arm]]:
    """(label, arm) for every dose and schedule of ``config.sweep``."""
    from stromal.model.trial_config import arm_variant

    sweep = config.sweep
    if sweep is None:
        return []
    base = next(a for a in config.arms if a.name == sweep.arm)
    variants: list[tuple[str, Arm]] = []
    for dose in sweep.dose_cells_per_kg:
        variants.append(
            (f"{dose:.3g} cells/kg", arm_variant(base, name=f"dose{len(variants)}", dose_cells_per_kg=dose))
        )
    for dose in sweep.dose_particles:
        variants.append(
            (f"{dose:.3g} particles", arm_variant(base, name=f"dose{len(variants)}", dose_particles=dose))
        )
    for days in sweep.schedules:
        variants.append(
            (
                "days " + ",".join(map(str, days)),
                arm_variant(base, name=f"sched{len(variants)}", days=list(days)),
            )
        )
    return variants


def run_sweep(
    config: TrialConfig,
    *,
    engine: Engine | None = None,
    scheduler: str | None = None,
    on_chunk: Callable[[ChunkResult], None] | None = None,
) -> list[dict[str, Any]]:
    """Dose–response / schedule sweep on the first ``sweep.n_patients`` enrolled patients.

    Every variant and the reference arm are simulated on the same virtual
    patients (paired), so differences between variants are not sampling noise
    between different patients. Chunks are folded into counts as they come
    (:class:`~stromal.model.tally.SweepTally`), so memory stays bounded.
    """
    from stromal.model import statistics as st
    from stromal.model.tally import SweepTally

    sweep = config.sweep
    if sweep is None:
        return []
    variants = sweep_variants(config)
    reference = config.reference
    arms = [v for _, v in variants] + ([reference] if reference is not None else [])
    size = chunk_size_for(config)
    plan = [(i, n) for i, n in chunk_plan(config) if i * size < sweep.n_patients]
    tallies = [SweepTally(label, sweep.arm) for label, _ in variants]
    for chunk in iter_chunks(config, scheduler=scheduler, plan=plan, arms=arms, paired=True, engine=engine):
        for tally, (_, arm) in zip(tallies, variants, strict=True):
            tally.add(chunk.outcomes, arm.name, reference.name if reference is not None else None)
        if on_chunk is not None:
            on_chunk(chunk)
    rows: list[dict[str, Any]] = []
    for t in tallies:
        low, high = st.wilson_interval(t.deaths, t.n)
        mortality = t.deaths / t.n if t.n else math.nan
        row: dict[str, Any] = {
            "label": t.label,
            "arm": t.arm,
            "n": t.n,
            "mortality_28d": _finite(mortality),
            "ci_low": _finite(low),
            "ci_high": _finite(high),
            "ventilator_free_days_28d_mean": _finite(t.vfd.estimate().value),
        }
        if reference is not None:
            ref_mortality = t.reference_deaths / t.reference_n if t.reference_n else math.nan
            row["risk_ratio_28d_vs_reference"] = (
                _finite(mortality / ref_mortality) if ref_mortality > 0 else None
            )
        rows.append(row)
    return rows


def _posterior_summary(config: TrialConfig) -> dict[str, Any]:
    use = posterior_for(config)
    return {"used": bool(use.draws), "reason": use.reason, **use.provenance}


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def run_trial(
    config: TrialConfig,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = False,
    engine: Engine | None = None,
    on_chunk: Callable[[ChunkResult], None] | None = None,
) -> dict[str, Any]:
    """Run the whole trial; write ``outcomes/part-*.parquet``, ``summary.json`` and ``report.html``.

    ``scheduler``: a Dask scheduler address (``tcp://HOST:PORT``); without it
    the chunks run in this process and the engine uses ``workers`` threads
    (default: all local cores). ``progress``: a progress bar on stderr.
    ``on_chunk`` is called after each trial chunk is written and tallied
    (benchmarks sample memory there).
    Each chunk is written to Parquet and folded into the tally, then dropped:
    peak memory does not grow with the number of patients.
    """
    import resource
    import shutil
    import time

    from tqdm import tqdm

    from stromal.model.population import calibration_provenance
    from stromal.model.report import render_html, summarise, write_summary
    from stromal.model.tally import TrialTally

    started = time.perf_counter()
    out = Path(out_dir)
    folder = out / "outcomes"
    if folder.exists():
        shutil.rmtree(folder)
    if engine is None and workers is not None:
        from functools import partial

        real = real_engine()
        engine = Engine(partial(real.simulate, n_threads=workers), real.dose_events_for_arm, real.no_doses)
    plan = chunk_plan(config)
    tally = TrialTally.for_config(config)
    sweep_patients = 0
    if config.sweep is not None:
        size = chunk_size_for(config)
        sweep_patients = sum(n for i, n in plan if i * size < config.sweep.n_patients)
    with tqdm(
        total=config.n_patients + sweep_patients,
        unit="patient",
        disable=not progress,
        file=sys.stderr,
        desc="trial",
        dynamic_ncols=True,
    ) as bar:

        def fold(chunk: ChunkResult) -> None:
            tally.add(chunk.outcomes)
            bar.update(int(chunk.outcomes["assigned"].sum()))
            if on_chunk is not None:
                on_chunk(chunk)

        totals = write_chunks(
            iter_chunks(config, scheduler=scheduler, plan=plan, engine=engine), folder, on_chunk=fold
        )
        if config.sweep is not None:
            bar.set_description("sweep")

        def tick(chunk: ChunkResult) -> None:
            bar.update(int(chunk.outcomes["patient_id"].nunique()))

        sweep = (
            run_sweep(config, engine=engine, scheduler=scheduler, on_chunk=tick)
            if config.sweep is not None
            else None
        )
    elapsed = time.perf_counter() - started
    timing = {
        "wall_seconds": round(elapsed, 3),
        "chunk_seconds_total": round(totals["seconds"], 3),
        "patients_enrolled": tally.enrolled,
        "simulations": tally.rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "scheduler": scheduler or "local",
    }
    summary = summarise(
        config,
        tally,
        model_version=totals["model_version"],
        population=totals,
        sweep=sweep,
        timing=timing,
        calibration=calibration_provenance(config.population.calibrated),
        posterior=_posterior_summary(config),
    )
    out.mkdir(parents=True, exist_ok=True)
    write_summary(summary, out / "summary.json")
    (out / "report.html").write_text(render_html(summary, tally, config), encoding="utf-8")
    return summary
