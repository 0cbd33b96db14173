"""Work-precision table: the engine, libRoadRunner and SciPy at matched accuracy.

Speed alone says little when solvers are run at tolerances that buy different
accuracy. For each tolerance (default rtol 1e-4, 1e-6, 1e-8; atol = rtol x 1e-3,
the engine's default ratio; ``--tolerances``) every solver integrates the same virtual patients
(parameters drawn from the priors, the model's initial state, two IV doses at
24 h and 48 h, 90 days, daily output), serially on one core:

- this engine (numba Rodas4, ``simulate_cohort(..., n_threads=1)``);
- libRoadRunner (CVODE BDF) on the project's SBML export, one patient after another;
- SciPy ``solve_ivp`` with ``--scipy-method`` (default Radau; BDF or LSODA)
  on a lambdified NumPy right-hand side and its analytic Jacobian.

Error is measured against a tight reference on the first ``--reference-patients``
patients: SciPy Radau at rtol 1e-12 / atol 1e-14 (``--reference radau``,
independent of the engine), or the engine at rtol 1e-11 / atol 1e-14
(``--reference engine``, quicker). Two error figures per solver: the
state-wise error (max over patients and states of max_t |y - ref| / max_t |ref|)
and its median over patients. Time per patient is from
``--timing-patients`` patients for the engine and libRoadRunner and from the
reference patients for SciPy (it is slow); the engine and libRoadRunner are
timed ``--repeat`` times and the fastest kept (a shared machine only ever
slows a run down). Compile/warm-up is excluded.

    python benchmarks/bench_work_precision.py
    python benchmarks/bench_work_precision.py --reference engine --timing-patients 500
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any

import numpy as np

from _solvers import rr_run, rr_setup, sbml_text, scipy_run

ATOL_RATIO = 1e-3
DOSE_TIMES_H = (24.0, 48.0)
DOSE_AMOUNT = 50.0  # as bench_engine.py: ~1e6 viable MSC/kg x 70 kg reaching the lung


def _cohort(model: Any, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    from stromal.model import codegen
    from stromal.model.parameters import sample_parameters

    rng = np.random.default_rng(seed)
    params = np.ascontiguousarray(sample_parameters(rng, n, aetiology="viral")[:, : len(model.parameters)])
    compiled = codegen.load(model)
    y0 = np.empty((n, compiled.n_states))
    compiled.module.initial_batch(params, y0)
    target = [s.name for s in model.states].index(model.dose_targets["iv"])
    return params, y0, target


def _engine(
    params: np.ndarray, y0: np.ndarray, t_out: np.ndarray, target: int, rtol: float, atol: float
) -> Any:
    from stromal.model.dosing import DoseEvents
    from stromal.model.engine import simulate_cohort

    n = len(params)
    times = np.tile(np.array(DOSE_TIMES_H), (n, 1))
    doses = DoseEvents(
        times_h=times,
        state_index=np.full(times.shape, target, dtype=np.int64),
        amount=np.full_like(times, DOSE_AMOUNT),
    )
    return simulate_cohort(
        params, t_out, doses=doses, y0=y0, rtol=rtol, atol=atol, backend="cpu", n_threads=1
    )


def _errors(y: np.ndarray, ref: np.ndarray, floor: float) -> tuple[float, float]:
    """(max, median over patients) of the state-wise error: max_t |y - ref| / max_t |ref|."""
    peak = np.max(np.abs(ref), axis=1)  # (patients, states)
    err = np.max(np.abs(y - ref), axis=1)
    rel = np.where(peak > floor, err / np.where(peak > floor, peak, 1.0), 0.0)
    per_patient = np.max(rel, axis=1)
    return float(np.max(per_patient)), float(np.median(per_patient))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-patients", type=int, default=8)
    parser.add_argument("--timing-patients", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scipy-method", choices=("Radau", "BDF", "LSODA"), default="Radau")
    parser.add_argument("--reference", choices=("radau", "engine"), default="radau")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--repeat", type=int, default=3, help="time the engine and libRoadRunner this often; keep the fastest"
    )
    parser.add_argument(
        "--tolerances", default="1e-4,1e-6,1e-8", help="comma-separated rtol values (atol = rtol x 1e-3)"
    )
    args = parser.parse_args(argv)

    from stromal.model import definition
    from stromal.model.engine import warm_up

    model = definition.MODEL
    m = args.reference_patients
    n = max(args.timing_patients, m)
    t_out = np.linspace(0.0, 24.0 * args.days, args.days + 1)
    params, y0, target = _cohort(model, n, args.seed)
    doses = [(t, target, DOSE_AMOUNT) for t in DOSE_TIMES_H]
    state_ids = [s.name for s in model.state_symbols]
    param_ids = [p.name for p in model.parameters]
    sbml = sbml_text(model, doses)
    load = os.getloadavg()[0]
    print(
        f"model {model.name} {model.version}: {len(model.states)} states; {n} patients (errors on the first {m}), "
        f"{args.days} days, daily output, IV doses at {DOSE_TIMES_H} h; one core per solver; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at start"
    )
    warm_up(model)

    started = time.perf_counter()
    if args.reference == "radau":
        ref = scipy_run(model, params[:m], y0[:m], t_out, doses, method="Radau", rtol=1e-12, atol=1e-14)
        ref_name = "SciPy Radau rtol 1e-12, atol 1e-14"
    else:
        ref = _engine(params[:m], y0[:m], t_out, target, 1e-11, 1e-14).y
        ref_name = "engine rtol 1e-11, atol 1e-14"
    print(f"reference: {ref_name} ({time.perf_counter() - started:.1f} s)")
    floor = 1e-9  # states whose peak stays below this are left out of the error (products never given)

    rows: list[tuple[str, float, float, float, float, str]] = []
    for rtol in (float(x) for x in args.tolerances.split(",")):
        atol = rtol * ATOL_RATIO
        # engine
        per = math.inf
        for _ in range(args.repeat):
            started = time.perf_counter()
            res = _engine(params, y0, t_out, target, rtol, atol)
            per = min(per, (time.perf_counter() - started) / n)
        failed = int(np.sum(res.status != 0))
        rows.append(("engine (Rodas4)", rtol, atol, per, *_errors(res.y[:m], ref, floor), f"failed {failed}"))
        # libRoadRunner
        rr_setup(sbml, rtol, atol, state_ids, param_ids)
        rr_run((params[:1], y0[:1], t_out[-1], t_out.size))  # first call outside the timing
        per = math.inf
        for _ in range(args.repeat):
            started = time.perf_counter()
            rr_y = rr_run((params, y0, t_out[-1], t_out.size))
            per = min(per, (time.perf_counter() - started) / n)
        rows.append(("libRoadRunner (CVODE)", rtol, atol, per, *_errors(rr_y[:m], ref, floor), ""))
        # SciPy
        started = time.perf_counter()
        sp_y = scipy_run(
            model, params[:m], y0[:m], t_out, doses, method=args.scipy_method, rtol=rtol, atol=atol
        )
        per = (time.perf_counter() - started) / m
        rows.append(
            (f"SciPy {args.scipy_method}", rtol, atol, per, *_errors(sp_y, ref, floor), f"{m} patients")
        )

    print(f"\nwork-precision (error vs {ref_name}; load average {os.getloadavg()[0]:.1f} at end)\n")
    print("| solver | rtol | atol | ms / patient | max error | median error | notes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, rtol, atol, per, worst, median, note in rows:
        print(f"| {name} | {rtol:.0e} | {atol:.0e} | {per * 1e3:.2f} | {worst:.1e} | {median:.1e} | {note} |")

    print("\nat matched accuracy (cheapest run of each solver whose max error is at most the target):")
    for target_err in sorted({r[4] for r in rows if r[0].startswith("libRoadRunner")}, reverse=True):
        best: dict[str, tuple[float, float]] = {}
        for name, rtol, _, per, worst, _, _ in rows:
            if worst <= target_err and (name not in best or per < best[name][0]):
                best[name] = (per, rtol)
        cells = ", ".join(f"{k} {v[0] * 1e3:.2f} ms (rtol {v[1]:.0e})" for k, v in best.items())
        eng = best.get("engine (Rodas4)")
        rr = best.get("libRoadRunner (CVODE)")
        ratio = f"; engine {rr[0] / eng[0]:.1f}x faster than libRoadRunner" if eng and rr else ""
        print(f"  error <= {target_err:.1e}: {cells}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
