"""Simulate a cohort of virtual patients: the engine's public entry point.

``simulate_cohort`` validates its inputs, loads the model's compiled code
(:mod:`stromal.model.codegen`), and integrates every patient with the
per-patient adaptive Rodas4 solver (:mod:`stromal.model.solver`) on the CPU
cores, or on a GPU when one is present (:mod:`stromal.model.gpu`).
Time is in hours; day 0 is enrolment.

Whole-call misuse (a wrong number of parameters, unsorted output times, an
unknown backend) raises ``ValueError`` naming the argument, the value and the
rule. A bad patient (NaN parameter, dose into a missing state) only gets
``SolverStatus.INVALID_INPUT``; a patient the solver cannot finish gets
``MAX_STEPS``, ``STEP_UNDERFLOW`` or ``NON_FINITE``. The batch never
aborts.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

import numba
import numpy as np

from stromal.model import codegen
from stromal.model.codegen import SymbolicModel
from stromal.model.status import STATUS_TEXT, SolverStatus


class DoseEvents(Protocol):
    """The shape of ``stromal.model.dosing.DoseEvents`` that the engine reads."""

    @property
    def times_h(self) -> np.ndarray: ...
    @property
    def state_index(self) -> np.ndarray: ...
    @property
    def amount(self) -> np.ndarray: ...


BACKENDS = ("auto", "cpu", "gpu")
DEFAULT_MAX_STEPS = 100_000
# Below this many patients the serial driver is faster than waking threads.
PARALLEL_MIN_PATIENTS = 64
PARALLEL_CHUNK_PATIENTS = 16


@dataclass(frozen=True)
class CohortResult:
    """Trajectories of a cohort.

    ``y`` is (n_patients, n_times, n_states); rows of a failed patient after the
    failure are NaN. ``status`` holds :class:`~stromal.model.solver.SolverStatus`
    values (described in ``STATUS_TEXT``).
    """

    t_h: np.ndarray
    y: np.ndarray
    status: np.ndarray
    n_steps: np.ndarray
    observables: Mapping[str, np.ndarray]
    model_version: str
    state_names: tuple[str, ...] = ()
    backend: str = "cpu"
    STATUS_TEXT: ClassVar[dict[int, str]] = STATUS_TEXT

    @property
    def failure_rate(self) -> float:
        """Share of patients whose status is not ``SolverStatus.OK``."""
        return float(np.mean(self.status != SolverStatus.OK)) if self.status.size else 0.0

    def state(self, name: str) -> np.ndarray:
        """Trajectory of one state by name: (n_patients, n_times)."""
        if name not in self.state_names:
            raise KeyError(f"state {name!r} is not in the model; states are {list(self.state_names)}")
        return self.y[:, :, self.state_names.index(name)]


def _max_threads() -> int:
    """Threads numba's pool was started with (``NUMBA_NUM_THREADS``)."""
    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def _default_model() -> SymbolicModel:
    # Imported on first use: building the SymPy model costs time that callers
    # passing their own model should not pay.
    return cast(SymbolicModel, importlib.import_module("stromal.model.definition").MODEL)


def _float_array(name: str, value: object, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be read as numbers ({exc}); rule: a float array") from exc
    if arr.ndim != ndim:
        raise ValueError(f"{name}: has shape {arr.shape}; rule: must be a {ndim}-D array")
    return np.ascontiguousarray(arr)


def _check_tolerance(name: str, value: float) -> float:
    v = float(value)
    if not (math.isfinite(v) and 0.0 < v < 1.0):
        raise ValueError(f"{name}: {value!r}; rule: a finite number with 0 < {name} < 1")
    return v


def _pick_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r}; rule: one of {', '.join(BACKENDS)}")
    if backend == "cpu":
        return "cpu"
    from stromal.model import gpu

    available = gpu.gpu_available()
    if backend == "gpu" and not available:
        raise ValueError("backend: 'gpu'; rule: needs a CUDA GPU that numba can use, and none was found")
    return "gpu" if available else "cpu"


def _dose_arrays(
    doses: DoseEvents | None, n: int, n_states: int, t0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous, row-sorted dose arrays and a per-patient 'invalid' mask."""
    if doses is None:
        return (
            np.full((n, 1), np.inf),
            np.zeros((n, 1), dtype=np.int64),
            np.zeros((n, 1)),
            np.zeros(n, dtype=bool),
        )
    times = _float_array("doses.times_h", doses.times_h, 2)
    amount = _float_array("doses.amount", doses.amount, 2)
    index = np.asarray(doses.state_index)
    if index.ndim != 2 or not np.issubdtype(index.dtype, np.integer):
        raise ValueError(
            f"doses.state_index: shape {index.shape}, dtype {index.dtype}; rule: 2-D integer array"
        )
    if not (times.shape == amount.shape == index.shape and times.shape[0] == n):
        raise ValueError(
            f"doses: times_h {times.shape}, state_index {index.shape}, amount {amount.shape}; "
            f"rule: all three (n_patients={n}, max_events)"
        )
    if times.shape[1] == 0:
        return _dose_arrays(None, n, n_states, t0)
    order = np.argsort(times, axis=1, kind="stable")
    times = np.ascontiguousarray(np.take_along_axis(times, order, axis=1))
    amount = np.ascontiguousarray(np.take_along_axis(amount, order, axis=1))
    index = np.ascontiguousarray(np.take_along_axis(index.astype(np.int64), order, axis=1))
    real = np.isfinite(times)
    invalid = np.any(np.isnan(times) | (times == -np.inf), axis=1)
    invalid |= np.any(real & (times < t0), axis=1)
    invalid |= np.any(real & ~(np.isfinite(amount) & (amount >= 0.0)), axis=1)
    invalid |= np.any(real & ((index < 0) | (index >= n_states)), axis=1)
    index = np.where((index < 0) | (index >= n_states), 0, index)
    return times, index, amount, invalid


def simulate_cohort(
    params: np.ndarray,
    t_out_h: np.ndarray,
    *,
    doses: DoseEvents | None = None,
    y0: np.ndarray | None = None,
    model: SymbolicModel | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    backend: str = "auto",
    n_threads: int | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> CohortResult:
    """Integrate every patient from ``t_out_h[0]`` and report the states at ``t_out_h``.

    Args:
        params: (n_patients, n_params) model parameters, in the model's order.
        t_out_h: (n_times,) non-decreasing output times in hours; integration starts at ``t_out_h[0]``.
        doses: bolus events (``stromal.model.dosing.DoseEvents``); an output at a
            dose time shows the state just after the dose (as SBML/libRoadRunner).
        y0: (n_patients, n_states) initial states; default: the model's initial values.
        model: the model definition; default ``stromal.model.definition.MODEL``.
        rtol, atol: local error tolerances of the adaptive step-size control.
        backend: "auto" (GPU if usable, else CPU), "cpu" or "gpu".
        n_threads: CPU threads (default: numba's default, all cores).
        max_steps: attempted steps per patient before ``SolverStatus.MAX_STEPS``.
    """
    compiled = codegen.load(model) if model is not None else codegen.load_default()
    p = _float_array("params", params, 2)
    if p.shape[1] != compiled.n_params:
        raise ValueError(
            f"params: has {p.shape[1]} columns; rule: one column per model parameter ({compiled.n_params})"
        )
    n = p.shape[0]
    t_out = _float_array("t_out_h", t_out_h, 1)
    if t_out.size == 0 or not np.all(np.isfinite(t_out)) or np.any(np.diff(t_out) < 0):
        raise ValueError(f"t_out_h: {t_out!r}; rule: at least one finite time, non-decreasing")
    rt = _check_tolerance("rtol", rtol)
    at = _check_tolerance("atol", atol)
    if int(max_steps) < 1:
        raise ValueError(f"max_steps: {max_steps!r}; rule: a positive integer")
    if n_threads is not None and not (isinstance(n_threads, int) and n_threads >= 1):
        raise ValueError(f"n_threads: {n_threads!r}; rule: a positive integer or None")
    chosen = _pick_backend(backend)

    invalid = ~np.all(np.isfinite(p), axis=1)
    n_states = compiled.n_states
    mod = compiled.module
    if y0 is None:
        y_start = np.empty((n, n_states))
        mod.initial_batch(p, y_start)
    else:
        y_start = _float_array("y0", y0, 2)
        if y_start.shape != (n, n_states):
            raise ValueError(f"y0: has shape {y_start.shape}; rule: (n_patients={n}, n_states={n_states})")
    invalid |= ~np.all(np.isfinite(y_start), axis=1)
    dose_t, dose_idx, dose_amt, dose_invalid = _dose_arrays(doses, n, n_states, float(t_out[0]))
    invalid |= dose_invalid

    y = np.full((n, t_out.size, n_states), np.nan)
    status = np.full(n, SolverStatus.INVALID_INPUT, dtype=np.int8)
    n_steps = np.zeros(n, dtype=np.int64)
    if chosen == "gpu":
        from stromal.model import gpu

        gpu.solve_batch_gpu(
            compiled,
            model if model is not None else _default_model(),
            p,
            y_start,
            t_out,
            dose_t,
            dose_idx,
            dose_amt,
            rt,
            at,
            int(max_steps),
            invalid,
            y,
            status,
            n_steps,
        )
    obs = np.empty((len(compiled.observable_names), n, t_out.size))
    threads = _max_threads() if n_threads is None else min(n_threads, _max_threads())
    if chosen == "cpu" and (threads == 1 or n < PARALLEL_MIN_PATIENTS):
        mod.solve_batch_serial(
            p, y_start, t_out, dose_t, dose_idx, dose_amt, rt, at, int(max_steps), invalid, y, status, n_steps
        )
        mod.observables_batch_serial(y, p, obs)
    else:
        previous = numba.get_num_threads()
        numba.set_num_threads(threads)
        # Patients differ in cost (a septic course takes more steps): hand them
        # out in small chunks so that no thread idles at the end.
        previous_chunk = numba.set_parallel_chunksize(PARALLEL_CHUNK_PATIENTS)
        try:
            if chosen == "cpu":
                mod.solve_batch(
                    p,
                    y_start,
                    t_out,
                    dose_t,
                    dose_idx,
                    dose_amt,
                    rt,
                    at,
                    int(max_steps),
                    invalid,
                    y,
                    status,
                    n_steps,
                )
            mod.observables_batch(y, p, obs)
        finally:
            numba.set_num_threads(previous)
            numba.set_parallel_chunksize(previous_chunk)
    return CohortResult(
        t_h=t_out,
        y=y,
        status=status,
        n_steps=n_steps,
        observables={name: obs[i] for i, name in enumerate(compiled.observable_names)},
        model_version=compiled.model_version,
        state_names=compiled.state_names,
        backend=chosen,
    )


def warm_up(model: SymbolicModel | None = None) -> float:
    """Compile the model's code, or load it from the cache; return the seconds spent."""
    started = time.perf_counter()
    compiled = codegen.load(model) if model is not None else codegen.load_default()
    _pick_backend("auto")
    # Same array types as a real call; one small batch for the serial driver,
    # one large enough for the parallel one.
    for n in (1, PARALLEL_MIN_PATIENTS):
        p = np.zeros((n, compiled.n_params))
        simulate_cohort(p, np.array([0.0, 1.0]), model=model, backend="cpu", max_steps=1)
    return time.perf_counter() - started
