"""Virtual populations: sample patients, simulate to enrolment, accept or reject.

A virtual patient is one row of model parameters (covariates age, sex,
height, weight and FiO2 are parameters too) drawn with
:func:`stromal.model.parameters.sample_parameters` for its aetiology. Each
candidate is simulated from the insult (t = 0) for up to
``onset_window_h`` hours; ARDS onset is the first hour with P/F ≤ 300 mmHg
(Berlin: within one week of the insult); enrolment is ``enrolment_delay_h``
later (whole hours; drawn uniformly per candidate when a range is given),
where the Berlin grade is read from P/F with
:func:`stromal.clinical.berlin.berlin_severity`. A candidate is rejected if
it never reaches ARDS, dies or resolves (P/F > 300) before enrolment, has a
P/F at enrolment outside ``pf_enrolment_mmhg``, or
falls in a (aetiology × severity) cell whose quota is full: acceptance–
rejection to match a target mix, as in Allen RJ, Rieger TR, Musante CJ,
CPT Pharmacometrics Syst Pharmacol 2016;5:140–6, doi:10.1002/psp4.12063.
Cell quotas are the product of the target marginals (severity and aetiology
assumed independent at enrolment, an assumption stated in every report).

The state at enrolment becomes the initial state of the trial simulation,
whose time 0 is enrolment (the model is autonomous, so restarting there is
exact). A candidate whose solve fails is counted, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import numpy.typing as npt

from stromal.clinical.berlin import berlin_severity
from stromal.model.status import SolverStatus
from stromal.model.trial_config import AETIOLOGIES, SEVERITIES, PopulationConfig

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Engine:
    """The engine functions a trial calls (the real ones by default, see :func:`real_engine`)."""

    simulate: Callable[..., Any]  # simulate_cohort(params, t_out_h, *, doses=None, y0=None)
    dose_events_for_arm: Callable[..., Any]
    no_doses: Callable[[int], Any]


def real_engine() -> Engine:
    """``stromal.model.engine.simulate_cohort`` and ``stromal.model.dosing``."""
    from stromal.model.dosing import dose_events_for_arm, no_doses  # type: ignore[import-untyped,unused-ignore]
    from stromal.model.engine import simulate_cohort

    return Engine(simulate_cohort, dose_events_for_arm, no_doses)


#: P/F at or below which a candidate has ARDS-level hypoxaemia (Berlin, Ranieri 2012).
ARDS_PF_MMHG = 300.0


@dataclass(frozen=True)
class VirtualPopulation:
    """Enrolled virtual patients (rows aligned across every array)."""

    params: FloatArray  # (n, n_params), enrolment_time_h set to the simulated enrolment
    y0: FloatArray  # (n, n_states) state at enrolment
    aetiology: npt.NDArray[np.str_]
    severity: npt.NDArray[np.str_]
    pf_enrolment_mmhg: FloatArray
    onset_h: FloatArray
    n_candidates: int
    n_failed: int  # candidates whose pre-enrolment solve failed
    rejected: Mapping[str, int] = field(default_factory=dict)
    shortfall: Mapping[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.severity)

    @property
    def acceptance_rate(self) -> float:
        return self.n / self.n_candidates if self.n_candidates else math.nan

    @property
    def failure_rate(self) -> float:
        return self.n_failed / self.n_candidates if self.n_candidates else math.nan


def cell_quotas(
    n: int, severity: Mapping[str, float], aetiology: Mapping[str, float]
) -> dict[tuple[str, str], int]:
    """Whole-patient quotas per (aetiology, severity) cell summing to ``n``.

    Largest-remainder (Hamilton) rounding of n × p(aetiology) × p(severity).
    """
    cells = [(a, s) for a in AETIOLOGIES for s in SEVERITIES]
    exact = np.array([n * aetiology.get(a, 0.0) * severity.get(s, 0.0) for a, s in cells])
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: n - int(base.sum())]] += 1
    return {cell: int(q) for cell, q in zip(cells, base, strict=True)}


def calibrated_file() -> Traversable:
    """``stromal/model/calibrated.toml`` inside the installed package (it may not exist)."""
    return resources.files("stromal.model") / "calibrated.toml"


def calibrated_overrides(entry: Traversable | None = None) -> dict[str, float]:
    """Fitted values from ``calibrated.toml`` (empty if none is installed)."""
    import tomllib

    if entry is None:
        from stromal.model.parameters import calibrated_values

        return calibrated_values()
    if not entry.is_file():
        return {}
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in data.get("parameters", {}).items()}


def calibration_provenance(requested: bool = True, entry: Traversable | None = None) -> dict[str, Any]:
    """Whether a trial used calibrated parameters, and where they came from (for every report).

    ``calibrated.toml`` is written by ``stromal calibrate --install``; its
    header comment records when, on which model version, seed and sample
    size it was fitted. The report shows that header, the fitted values and
    the file's SHA-256, so a reader can tell which fit produced the numbers.
    """
    import hashlib

    if not requested:
        return {"used": False, "reason": "population.calibrated = false: the uncalibrated priors were used"}
    entry = entry or calibrated_file()
    if not entry.is_file():
        return {"used": False, "reason": "no calibrated.toml is installed: the uncalibrated priors were used"}
    text = entry.read_text(encoding="utf-8")
    header = " ".join(
        line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#") and line.strip("# ")
    )
    fitted = calibrated_overrides(entry)
    return {
        "used": bool(fitted),
        "file": "stromal/model/calibrated.toml",
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "provenance": header,
        "parameters": fitted,
        **({} if fitted else {"reason": "calibrated.toml lists no parameters"}),
    }


def apply_calibration(params: FloatArray, fitted: Mapping[str, float]) -> FloatArray:
    """Move each fitted parameter's population to its calibrated value.

    The column is scaled by fitted / nominal, so a log-normal prior keeps
    its spread around the new median and a fixed parameter takes the value.
    """
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    out = params.copy()
    for name, value in fitted.items():
        j = PARAMETER_INDEX[name]
        nominal = PARAMETERS[j].value
        out[:, j] = out[:, j] * (value / nominal) if nominal != 0 else value
    return out


def _truncate_age(rng: np.random.Generator, params: FloatArray, age_years: tuple[float, float]) -> None:
    """Redraw ages outside the target range from the model's own age prior."""
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    j = PARAMETER_INDEX["age_years"]
    low, high = age_years
    prior = PARAMETERS[j].distribution
    bad = (params[:, j] < low) | (params[:, j] > high)
    for _ in range(1000):
        if not bad.any():
            return
        params[bad, j] = prior.sample(rng, int(bad.sum()))
        bad = (params[:, j] < low) | (params[:, j] > high)
    # A prior that (almost) never falls in the range: use the range uniformly.
    params[bad, j] = rng.uniform(low, high, int(bad.sum()))


@dataclass
class _Screen:
    """Pre-enrolment outcome of one batch of candidates."""

    ok: npt.NDArray[np.bool_]
    eligible: npt.NDArray[np.bool_]
    reason: npt.NDArray[np.str_]  # "" for an eligible candidate
    severity: npt.NDArray[np.str_]  # "" where there is no Berlin grade
    pf: FloatArray
    onset_h: FloatArray
    delay_h: FloatArray
    enrol_index: npt.NDArray[np.int64]
    y: FloatArray


def screening_grid_h(config: PopulationConfig) -> FloatArray:
    """Hourly screening output times (h from the insult): onset window plus the longest delay."""
    return np.arange(0.0, config.onset_window_h + config.enrolment_delay_h[1] + 1.0, 1.0)


def _screen_draws(
    n: int, config: PopulationConfig, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """The random part of screening ``n`` candidates: enrolment delays (whole hours) and
    exponential death thresholds, drawn in this order (it fixes the random stream)."""
    low_h, high_h = config.enrolment_delay_h
    delay = (
        np.full(n, round(low_h), dtype=np.int64)
        if low_h == high_h
        else rng.integers(round(low_h), round(high_h) + 1, n)
    )
    return delay, rng.exponential(1.0, n)


def berlin_grades(pf_mmhg: FloatArray) -> npt.NDArray[np.str_]:
    """:func:`stromal.clinical.berlin.berlin_severity` of every element ("" for no grade), shape of the input.

    Vectorised on the raw value; values within 0.1 mmHg of a cut-off (where
    rounding to the recorded precision could move them across) and non-finite
    values go through ``berlin_severity`` itself, so the result is the same.
    """
    from stromal.clinical.berlin import MILD_MAX_PF, MODERATE_MAX_PF, SEVERE_MAX_PF

    pf = np.asarray(pf_mmhg, dtype=np.float64)
    grade = np.select(
        [pf > MILD_MAX_PF, pf > MODERATE_MAX_PF, pf > SEVERE_MAX_PF],
        ["", "mild", "moderate"],
        default="severe",
    ).astype("<U8")
    cutoffs = np.array([SEVERE_MAX_PF, MODERATE_MAX_PF, MILD_MAX_PF])
    near = ~np.isfinite(pf) | (np.min(np.abs(pf[..., None] - cutoffs), axis=-1) < 0.1)
    for i in zip(*np.nonzero(near), strict=True):
        grade[i] = berlin_severity(float(pf[i])) or "" if math.isfinite(pf[i]) else ""
    return grade


def _screen_result(
    pf: FloatArray,
    hazard: FloatArray,
    status: npt.NDArray[Any],
    y: FloatArray,
    t_h: FloatArray,
    config: PopulationConfig,
    delay: npt.NDArray[np.int64],
    death_draw: FloatArray,
) -> _Screen:
    """Onset, enrolment and grade of every candidate from its screening solve (vectorised).

    ``pf`` (P/F, mmHg) and ``hazard`` (cumulative death hazard) are
    (n, len(t_h)), ``status`` (n,) solver statuses, ``y`` (n, len(t_h), n_states).
    """
    n = pf.shape[0]
    ok = status == SolverStatus.OK
    # Skip t = 0: PaO2 starts at a lower bound of its quasi-steady value and
    # reaches it within minutes, so P/F at the insult itself is not a measurement.
    window = (t_h <= config.onset_window_h) & (t_h >= 1.0)
    hypoxaemic = (pf[:, window] <= ARDS_PF_MMHG) & ok[:, None]
    has_onset = hypoxaemic.any(axis=1)
    onset_index = np.argmax(hypoxaemic, axis=1) + int(np.argmax(window))  # index into t_h
    enrol_index = np.minimum(onset_index + delay, len(t_h) - 1)
    rows = np.arange(n)
    pf_enrol = pf[rows, enrol_index]
    # Death before enrolment: the accumulated hazard against an exponential draw
    # (P(dead) = 1 - exp(-H)); survivors restart with a fresh draw at enrolment,
    # which is exact because the exponential threshold is memoryless.
    died = hazard[rows, enrol_index] - hazard[:, 0] >= death_draw
    pf_low, pf_high = config.pf_enrolment_mmhg
    grade = np.where(ok & np.isfinite(pf_enrol), berlin_grades(pf_enrol), "")
    reason = np.select(
        [~ok, ~has_onset, died, grade == "", ~((pf_low <= pf_enrol) & (pf_enrol <= pf_high))],
        [
            "solver_failed",
            "no_ards_in_window",
            "died_before_enrolment",
            "resolved_before_enrolment",
            "pf_outside_enrolment_range",
        ],
        default="",
    )
    return _Screen(
        ok=ok,
        eligible=reason == "",
        reason=reason,
        severity=grade,
        pf=pf_enrol,
        onset_h=t_h[onset_index],
        delay_h=delay.astype(np.float64),
        enrol_index=enrol_index.astype(np.int64),
        y=y[rows, enrol_index, :],
    )


def screen_candidates(
    params: FloatArray, config: PopulationConfig, engine: Engine, rng: np.random.Generator
) -> _Screen:
    """Simulate candidates from the insult and find onset, enrolment and grade."""
    t_h = screening_grid_h(config)
    result = engine.simulate(params, t_h)
    delay, death_draw = _screen_draws(len(params), config, rng)
    return _screen_result(
        np.asarray(result.observables["pf_ratio"], dtype=np.float64),
        result.state("cumulative_death_hazard"),
        np.asarray(result.status),
        result.y,
        t_h,
        config,
        delay,
        death_draw,
    )


@dataclass
class _CellJob:
    """Acceptance-rejection for one aetiology of one population request (mutable progress)."""

    request: int
    aetiology: str
    remaining: dict[str, int]
    target: int
    batch_min: int
    tried: int = 0
    rate: float = 0.3

    def next_size(self, config: PopulationConfig) -> int | None:
        """Candidates in the next batch, or None once the quotas are full or the budget is spent."""
        left = sum(self.remaining.values())
        if left == 0 or self.tried >= config.max_candidates_factor * self.target:
            return None
        return int(min(4096, max(self.batch_min, 1.5 * left / max(self.rate, 0.02))))


@dataclass
class _Batch:
    """A drawn batch of candidates, waiting for its screening solve."""

    job: int
    params: FloatArray  # as enrolled (before any posterior scaling)
    simulated: FloatArray  # as screened
    delay: npt.NDArray[np.int64]
    death_draw: FloatArray


@dataclass
class _Accepted:
    """What one population request has enrolled and counted so far."""

    parts: list[tuple[str, _Screen, npt.NDArray[np.intp], FloatArray]] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)
    shortfall: dict[str, int] = field(default_factory=dict)
    n_candidates: int = 0
    n_failed: int = 0


#: Candidates screened per engine call at most (bounds the memory of one call's trajectories).
SCREEN_CALL_MAX = 8192


def _count_first_seen(labels: npt.NDArray[np.str_], into: dict[str, int]) -> None:
    """Add the count of every label to ``into``, new labels in order of first appearance."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    for k in np.argsort(first, kind="stable"):
        key = str(values[k])
        into[key] = into.get(key, 0) + int(counts[k])


def _absorb(job: _CellJob, batch: _Batch, screen: _Screen, enrol_col: int, acc: _Accepted) -> None:
    """Fill ``job``'s quotas from one screened batch, in candidate order (vectorised)."""
    size = len(batch.params)
    job.tried += size
    acc.n_candidates += size
    acc.n_failed += int((~screen.ok).sum())
    take = np.zeros(size, dtype=bool)
    for grade, left in job.remaining.items():
        rows = np.nonzero(screen.eligible & (screen.severity == grade))[0][:left]
        take[rows] = True
        job.remaining[grade] = left - len(rows)
    label = np.where(screen.eligible, np.where(take, "", "quota_full"), screen.reason)
    _count_first_seen(label[label != ""], acc.rejected)
    rows = np.nonzero(take)[0]
    params = batch.params[rows].copy()
    params[:, enrol_col] = screen.onset_h[rows] + screen.delay_h[rows]
    acc.parts.append((job.aetiology, screen, rows, params))
    job.rate = max(len(rows) / size, 0.02)


def generate_populations(
    chains: Sequence[tuple[np.random.Generator, Sequence[tuple[int, Mapping[int, float]]]]],
    config: PopulationConfig,
    *,
    engine: Engine | None = None,
    batch_min: int = 64,
) -> list[list[VirtualPopulation]]:
    """Enrol populations for several independent random streams at once.

    ``chains`` holds (stream, requests); each request ``(n, ratios)`` asks for
    ``n`` patients whose parameters are scaled by ``ratios`` (parameter column
    -> factor) for screening and in the enrolled population (a posterior
    draw, see :func:`stromal.model.trial.population_across_draws`; ``{}`` for
    none). Returns one list of populations per chain, one population per
    request.

    Within a chain the requests and their aetiology cells run in order from
    the chain's stream, exactly as calling :func:`generate_population` for
    each in turn (a cell's next batch size depends on its last batch, so a
    stream cannot be drawn ahead). The chains advance in lockstep: every round
    screens the next batch of every chain in one engine call, so the engine
    sees large batches although each cell's batches are small.
    """
    from stromal.model.parameters import PARAMETER_INDEX, sample_parameters

    engine = engine or real_engine()
    fitted = calibrated_overrides() if config.calibrated else {}
    enrol_col = PARAMETER_INDEX["enrolment_time_h"]
    jobs: list[list[_CellJob]] = []
    accepted: list[list[_Accepted]] = []
    for _, requests in chains:
        chain_jobs = []
        for r, (n, _) in enumerate(requests):
            quotas = cell_quotas(n, config.severity, config.aetiology)
            for aetiology in AETIOLOGIES:
                remaining = {s: quotas[(aetiology, s)] for s in SEVERITIES}
                chain_jobs.append(_CellJob(r, aetiology, remaining, sum(remaining.values()), batch_min))
        jobs.append(chain_jobs)
        accepted.append([_Accepted() for _ in requests])
    t_h = screening_grid_h(config)
    current = [0] * len(chains)
    while True:
        batches: list[tuple[int, _Batch]] = []
        for c, (rng, requests) in enumerate(chains):
            size = None
            while current[c] < len(jobs[c]):
                size = jobs[c][current[c]].next_size(config)
                if size is not None:
                    break
                current[c] += 1
            if size is None:
                continue
            job = jobs[c][current[c]]
            params = sample_parameters(rng, size, aetiology=job.aetiology)
            _truncate_age(rng, params, config.age_years)
            if fitted:
                params = apply_calibration(params, fitted)
            simulated = params
            ratios = requests[job.request][1]
            if ratios:
                simulated = params.copy()
                for col, factor in ratios.items():
                    simulated[:, col] *= factor
            delay, death_draw = _screen_draws(size, config, rng)
            batches.append((c, _Batch(current[c], params, simulated, delay, death_draw)))
        if not batches:
            break
        for call in _calls(batches):
            result = engine.simulate(np.vstack([b.simulated for _, b in call]), t_h)
            pf = np.asarray(result.observables["pf_ratio"], dtype=np.float64)
            hazard = result.state("cumulative_death_hazard")
            status = np.asarray(result.status)
            start = 0
            for c, b in call:
                part = slice(start, start + len(b.params))
                start = part.stop
                screen = _screen_result(
                    pf[part], hazard[part], status[part], result.y[part], t_h, config, b.delay, b.death_draw
                )
                job = jobs[c][b.job]
                _absorb(job, b, screen, enrol_col, accepted[c][job.request])
    for c, chain_jobs in enumerate(jobs):
        for job in chain_jobs:
            for s, left in job.remaining.items():
                if left:
                    accepted[c][job.request].shortfall[f"{job.aetiology}/{s}"] = left
    return [
        [_population(acc, requests[r][1]) for r, acc in enumerate(accepted[c])]
        for c, (_, requests) in enumerate(chains)
    ]


def _calls(batches: list[tuple[int, _Batch]]) -> list[list[tuple[int, _Batch]]]:
    """Consecutive batches grouped into engine calls of at most ``SCREEN_CALL_MAX`` candidates."""
    calls: list[list[tuple[int, _Batch]]] = [[]]
    size = 0
    for item in batches:
        n = len(item[1].params)
        if calls[-1] and size + n > SCREEN_CALL_MAX:
            calls.append([])
            size = 0
        calls[-1].append(item)
        size += n
    return calls


def _population(acc: _Accepted, ratios: Mapping[int, float]) -> VirtualPopulation:
    from stromal.model.parameters import PARAMETER_INDEX

    parts = [p for p in acc.parts if len(p[2])]
    if parts:
        params = np.vstack([p[3] for p in parts])
        for col, factor in ratios.items():
            params[:, col] *= factor
        y0 = np.vstack([p[1].y[p[2]] for p in parts])
    else:
        params, y0 = np.empty((0, len(PARAMETER_INDEX))), np.empty((0, 0))
    return VirtualPopulation(
        params=params,
        y0=y0,
        aetiology=np.concatenate([np.full(len(p[2]), p[0]) for p in parts]).astype(str)
        if parts
        else np.array([], dtype=str),
        severity=np.concatenate([p[1].severity[p[2]] for p in parts]).astype(str)
        if parts
        else np.array([], dtype=str),
        pf_enrolment_mmhg=np.concatenate([p[1].pf[p[2]] for p in parts]) if parts else np.empty(0),
        onset_h=np.concatenate([p[1].onset_h[p[2]] for p in parts]) if parts else np.empty(0),
        n_candidates=acc.n_candidates,
        n_failed=acc.n_failed,
        rejected=acc.rejected,
        shortfall=acc.shortfall,
    )


def generate_population(
    n: int,
    config: PopulationConfig,
    rng: np.random.Generator,
    *,
    engine: Engine | None = None,
    batch_min: int = 64,
) -> VirtualPopulation:
    """Enrol ``n`` virtual patients matching ``config``'s target mix.

    Candidates are drawn in batches per aetiology until every quota is full or
    ``max_candidates_factor`` × quota candidates have been tried; an unfilled
    cell is reported in ``shortfall`` (never silently padded). The batches of
    the three aetiologies are screened together where the random stream
    allows (see :func:`generate_populations`).
    """
    return generate_populations([(rng, [(n, {})])], config, engine=engine, batch_min=batch_min)[0][0]
