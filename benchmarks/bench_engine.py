"""Engine speed and agreement against libRoadRunner and SciPy, in one process.

Same cohort (sampled parameters), same output grid (daily), same two IV dose
events, same tolerances (rtol 1e-6, atol 1e-9) for every solver:

- this engine (numba Rodas4, per-patient adaptive), 1 thread and N threads;
- libRoadRunner (CVODE BDF, LLVM-compiled SBML from ``stromal.model.sbml``),
  serial and one process per core (multiprocessing);
- SciPy ``solve_ivp`` LSODA on a lambdified NumPy right-hand side (and its
  analytic Jacobian), on a
  subset, extrapolated per patient (stated in the output).

Agreement against libRoadRunner at rtol 1e-10 / atol 1e-14 on a subset, two
ways: state-wise (max |error| over a trajectory / that state's peak) and
pointwise relative (entries above 1e-6 of the state's peak and above atol). Compile/warm-up times are reported
separately and excluded from patients/s.

    python benchmarks/bench_engine.py --patients 10000 --days 90
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
import tracemalloc
from typing import Any

import numpy as np

from _solvers import rr_run, rr_setup, sbml_text, scipy_run

RTOL = 1e-6
ATOL = 1e-9
DOSE_TIMES_H = (24.0, 48.0)
DOSE_AMOUNT = 50.0  # 1e6 viable MSC in lung: ~1e6 cells/kg x 70 kg x 90 % viability x ~80 % entrapment


def _model(name: str) -> Any:
    from stromal.model import definition

    return definition.MODEL if name == "full" else definition.reynolds_core()


def _cohort(model: Any, n: int, seed: int) -> tuple[np.ndarray, int]:
    """Sampled parameters and the state index that receives the doses."""
    from stromal.model.parameters import sample_parameters

    rng = np.random.default_rng(seed)
    full = sample_parameters(rng, n, aetiology="viral")
    params = np.ascontiguousarray(full[:, : len(model.parameters)])
    if "iv" in model.dose_targets:
        target = [s.name for s in model.states].index(model.dose_targets["iv"])
    else:  # Reynolds core: bolus of anti-inflammatory mediator
        target = 3
    return params, target


def _doses(n: int, target: int) -> Any:
    from stromal.model.dosing import DoseEvents

    times = np.tile(np.array(DOSE_TIMES_H), (n, 1))
    amount = np.full_like(times, DOSE_AMOUNT if target != 3 else 0.1)
    return DoseEvents(times_h=times, state_index=np.full(times.shape, target, dtype=np.int64), amount=amount)


# ------------------------------------------------------ baselines (_solvers.py)
_rr_setup = rr_setup
_rr_run = rr_run


def _sbml(model: Any, target: int) -> str:
    amount = DOSE_AMOUNT if target != 3 else 0.1
    return sbml_text(model, [(t, target, amount) for t in DOSE_TIMES_H])


def _scipy_run(model: Any, params: np.ndarray, y0: np.ndarray, t_out: np.ndarray, target: int) -> np.ndarray:
    """LSODA (analytic Jacobian) between doses; an output at a dose time is the post-dose state."""
    amount = DOSE_AMOUNT if target != 3 else 0.1
    doses = [(t, target, amount) for t in DOSE_TIMES_H]
    return scipy_run(model, params, y0, t_out, doses, method="LSODA", rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------- helpers
def _rel_error(y: np.ndarray, ref: np.ndarray, states: list[str] | None = None) -> float:
    """Max relative error over entries above 1e-6 of each state's peak (per patient) and above atol.

    With ``states`` it also prints where the worst entry is."""
    scale = np.max(np.abs(ref), axis=1, keepdims=True)
    # Entries below atol are solver noise around an exact zero (e.g. a product never given).
    mask = (np.abs(ref) > 1e-6 * scale) & (np.abs(ref) > ATOL)
    if not mask.any():
        return 0.0
    rel = np.zeros_like(ref)
    rel[mask] = np.abs(y[mask] - ref[mask]) / np.abs(ref[mask])
    worst = np.unravel_index(int(np.argmax(rel)), rel.shape)
    if states is not None:
        print(
            f"    worst: patient {worst[0]}, output {worst[1]}, state {states[worst[2]]}: "
            f"{y[worst]:.6g} vs reference {ref[worst]:.6g}"
        )
    return float(rel[worst])


def _statewise_error(y: np.ndarray, ref: np.ndarray) -> float:
    """Max over patients and states of max_t |y - ref| / max_t |ref| (states whose peak exceeds atol)."""
    peak = np.max(np.abs(ref), axis=1)
    err = np.max(np.abs(y - ref), axis=1)
    keep = peak > ATOL
    return float(np.max(err[keep] / peak[keep])) if keep.any() else 0.0


def _chunks(n: int, k: int) -> list[slice]:
    edges = np.linspace(0, n, k + 1).astype(int)
    return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--model", choices=("full", "reynolds"), default="full")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scipy-patients", type=int, default=20)
    parser.add_argument("--reference-patients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    from stromal.model import codegen
    from stromal.model.engine import simulate_cohort, warm_up

    model = _model(args.model)
    n = args.patients
    t_out = np.linspace(0.0, 24.0 * args.days, args.days + 1)
    params, target = _cohort(model, n, args.seed)
    doses = _doses(n, target)
    print(
        f"model {model.name} {model.version}: {len(model.states)} states, {len(model.parameters)} parameters"
    )
    print(
        f"cohort: {n} patients x {args.days} days, daily output, doses at {DOSE_TIMES_H} h, "
        f"rtol {RTOL:g}, atol {ATOL:g}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    )
    print("note: a shared machine; figures taken while others run are noisy\n")

    rows: list[tuple[str, float, str]] = []
    timings: dict[str, float] = {}

    # -- this engine
    warm = warm_up(model)
    print(f"engine warm-up (compile or load cache): {warm:.2f} s")
    compiled = codegen.load(model)
    y0 = np.empty((n, compiled.n_states))
    compiled.module.initial_batch(params, y0)
    results = {}
    for threads in sorted({1, args.threads}):
        tracemalloc.start()
        started = time.perf_counter()
        res = simulate_cohort(
            params, t_out, doses=doses, model=model, rtol=RTOL, atol=ATOL, n_threads=threads
        )
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results[threads] = res
        timings[f"engine_{threads}"] = n / elapsed
        failed = int(np.sum(res.status != 0))
        rows.append(
            (
                f"stromal engine, {threads} thread(s)",
                n / elapsed,
                f"{elapsed:.2f} s, {res.n_steps.mean():.0f} steps/patient, failed {failed}, "
                f"NumPy peak {peak / 2**20:.0f} MiB",
            )
        )
    engine = results[max(results)]

    # -- libRoadRunner
    state_ids = [s.name for s in model.state_symbols]
    param_ids = [p.name for p in model.parameters]
    sbml_text = _sbml(model, target)
    started = time.perf_counter()
    _rr_setup(sbml_text, RTOL, ATOL, state_ids, param_ids)
    rr_compile = time.perf_counter() - started
    print(f"roadrunner load + LLVM compile: {rr_compile:.2f} s")
    started = time.perf_counter()
    rr_y = _rr_run((params, y0, t_out[-1], t_out.size))
    elapsed = time.perf_counter() - started
    timings["rr_serial"] = n / elapsed
    rows.append(("libRoadRunner serial", n / elapsed, f"{elapsed:.2f} s"))

    procs = args.threads
    ctx = mp.get_context("fork")
    with ctx.Pool(
        procs, initializer=_rr_setup, initargs=(sbml_text, RTOL, ATOL, state_ids, param_ids)
    ) as pool:
        pool.map(_rr_run, [(params[:2], y0[:2], t_out[-1], t_out.size)] * procs)  # workers compiled
        started = time.perf_counter()
        parts = pool.map(_rr_run, [(params[s], y0[s], t_out[-1], t_out.size) for s in _chunks(n, procs * 4)])
        elapsed = time.perf_counter() - started
    timings["rr_parallel"] = n / elapsed
    rows.append((f"libRoadRunner, {procs} processes", n / elapsed, f"{elapsed:.2f} s"))
    rr_all = np.concatenate(parts)

    # -- SciPy LSODA on a subset
    k = min(args.scipy_patients, n)
    started = time.perf_counter()
    sp_y = _scipy_run(model, params[:k], y0[:k], t_out, target)
    elapsed = time.perf_counter() - started
    timings["scipy"] = k / elapsed
    rows.append(
        (
            "SciPy LSODA (lambdified NumPy RHS and Jacobian)",
            k / elapsed,
            f"{k} patients, extrapolated per patient",
        )
    )

    # -- agreement against tight roadrunner
    m = min(args.reference_patients, n)
    _rr_setup(sbml_text, 1e-10, 1e-14, state_ids, param_ids)
    ref = _rr_run((params[:m], y0[:m], t_out[-1], t_out.size))
    ok = engine.status[:m] == 0
    tight_atol = simulate_cohort(
        params[:m], t_out, doses=_doses(m, target), model=model, rtol=RTOL, atol=1e-12
    )
    agreement = {
        "stromal engine (rtol 1e-6, atol 1e-9)": (engine.y[:m][ok], ref[ok]),
        "stromal engine (rtol 1e-6, atol 1e-12)": (tight_atol.y, ref),
        "libRoadRunner (rtol 1e-6, atol 1e-9)": (rr_y[:m], ref),
        f"SciPy LSODA (rtol 1e-6, atol 1e-9; {min(k, m)} patients)": (sp_y[: min(k, m)], ref[: min(k, m)]),
    }
    serial_vs_parallel = _statewise_error(rr_all, rr_y)

    print("\n| solver | patients/s | notes |\n|---|---:|---|")
    for name, rate, note in rows:
        print(f"| {name} | {rate:,.0f} | {note} |")
    best = timings[f"engine_{max(results)}"]
    print("\nratios (engine on all threads):")
    print(f"  vs libRoadRunner serial:      {best / timings['rr_serial']:.2f}x  (target >= 4)")
    print(f"  vs libRoadRunner {procs} processes: {best / timings['rr_parallel']:.2f}x  (target >= 2)")
    print(f"  vs SciPy LSODA:               {best / timings['scipy']:.0f}x  (target >= 100)")
    print(f"  engine 1 thread vs roadrunner serial: {timings['engine_1'] / timings['rr_serial']:.2f}x")
    print(f"\nagreement vs libRoadRunner at rtol 1e-10 / atol 1e-14 ({m} patients, target < 1e-3):")
    print(
        "| solver | state-wise (error / state's peak) | pointwise relative (entries > 1e-6 peak and > atol) |"
    )
    print("|---|---:|---:|")
    for name, (y, r) in agreement.items():
        print(f"| {name} | {_statewise_error(y, r):.1e} | {_rel_error(y, r):.1e} |")
    for name, (y, r) in agreement.items():
        print(f"  {name}:")
        _rel_error(y, r, state_ids)
    print(f"  libRoadRunner serial vs {procs} processes: {serial_vs_parallel:.1e}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\npeak resident memory of this process: {rss:.0f} MiB; engine warm-up {warm:.2f} s; "
        f"roadrunner compile {rr_compile:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
