"""Whole-trial benchmark: wall time, patients/s, peak memory, and the extrapolation to 10⁶ patients.

    python benchmarks/bench_trial.py                 # 20,000 patients (issue 5 example, 3 arms, paired)
    python benchmarks/bench_trial.py --patients 100000 --workers 2
    python benchmarks/bench_trial.py --design issue14 --seed 5 --workers 2 --roadrunner 200

``--design issue14`` is issue 14's trial (control and MSC IV 1e6 cells/kg
actual weight on days 1 and 2 at 90 % viability, 10,000 per arm for 20,000
patients). ``--roadrunner N`` then integrates N of the trial's own enrolled
patients (chunk 0, from their state at enrolment, under the MSC arm's doses)
with libRoadRunner on the project's SBML export, serially, 90 days, at the
engine's tolerances (rtol 1e-6, atol 1e-9), in this process after the trial,
and prints the whole-job ratio: trial patients/s over libRoadRunner
patients/s (one 90-day integration per patient), and the same per simulation.

Runs ``stromal.model.trial.run_trial`` exactly as ``stromal trial`` does
(population screening, every arm for every patient, Parquet streaming,
streamed analysis, summary.json and report.html). After every chunk it
samples the resident set size (``/proc/self/statm``); the memory slope is the
least-squares slope of RSS against patients over the second half of the run
(after warm-up and the first allocations), and the 10⁶-patient figures are
extrapolated from it and from the measured throughput. Compile/warm-up time
(the engine's cached compilation) is measured and reported separately.
Benchmarks are not tests: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

MILLION = 1_000_000


def rss_mb() -> float:
    """Current resident set size (MB)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


ISSUE14_ARMS = [
    {"name": "control"},
    {
        "name": "msc_iv",
        "route": "iv",
        "dose_cells_per_kg": 1e6,
        "weight_basis": "actual",
        "days": [1, 2],
        "viability_pct": 90,
    },
]
RR_RTOL = 1e-6
RR_ATOL = 1e-9
RR_DAYS = 90


def config_for(
    patients: int, *, chunk_size: int, long_term: bool, paired: bool, seed: int, design: str = "issue5"
) -> Any:
    from stromal.model.trial_config import trial_config_from_dict

    arms = (
        ISSUE14_ARMS
        if design == "issue14"
        else [
            *ISSUE14_ARMS,
            {
                "name": "exosome_inhaled",
                "route": "inhaled",
                "dose_particles": 2e8,
                "days": [1, 2, 3, 4, 5],
                "device": "mesh",
            },
        ]
    )
    return trial_config_from_dict(
        {
            "seed": seed,
            "days": 90,
            "chunk_size": chunk_size,
            "population": {
                "n_per_arm": max(1, patients // len(arms)),
                "severity": {"mild": 0.3, "moderate": 0.45, "severe": 0.25},
                "aetiology": {"viral": 0.6, "sepsis": 0.3, "trauma": 0.1},
                "age_years": [18, 80],
            },
            "analysis": {"long_term": long_term, "paired": paired},
            "arm": arms,
        }
    )


def enrolled_sample(config: Any, k: int) -> Any:
    """The first ``k`` enrolled patients of chunk 0 (the trial's own patients)."""
    from stromal.model import trial

    n0 = trial.chunk_plan(config)[0][1]
    if hasattr(trial, "enrol_chunks"):
        return trial.enrol_chunks(config, [(0, n0)])[0].population
    # An older stromal (the 'before' of a comparison): enrol chunk 0 as its run_chunk did.
    pop_rng, _, _ = trial.chunk_rngs(config.seed, 0)
    posterior = trial.posterior_for(config)
    if posterior.draws:
        draw_rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0, trial.POSTERIOR_STREAM]))
        return trial.population_across_draws(
            n0, config, pop_rng, draw_rng, posterior.draws, trial.real_engine()
        )[0]
    return trial.generate_population(n0, config.population, pop_rng)


def roadrunner_rate(config: Any, k: int) -> tuple[float, float, float, int, float]:
    """libRoadRunner on ``k`` of the trial's patients under its last arm's doses:
    (patients/s, patients per CPU second, compile s, patients, dose amount used)."""
    from _solvers import rr_run, rr_setup, sbml_text
    from stromal.model import definition
    from stromal.model.dosing import dose_events_for_arm
    from stromal.model.parameters import PARAMETER_INDEX

    model = definition.MODEL
    pop = enrolled_sample(config, k)
    params = np.ascontiguousarray(pop.params[:k, : len(model.parameters)])
    y0 = np.ascontiguousarray(pop.y0[:k])
    arm = config.arms[-1]
    col = {n: pop.params[:k, PARAMETER_INDEX[n]] for n in ("weight_kg", "height_cm", "sex_male")}
    events = dose_events_for_arm(arm, **col, params=pop.params[:k], enrolment_h=0.0)
    real = np.isfinite(events.times_h[0])
    # SBML events carry one amount: the sample's median per-patient amount (timing does not hinge on it).
    doses = [
        (float(t), int(i), float(np.median(events.amount[:, j])))
        for j, (t, i) in enumerate(zip(events.times_h[0], events.state_index[0], strict=True))
        if real[j]
    ]
    state_ids = [s.name for s in model.state_symbols]
    param_ids = [p.name for p in model.parameters]
    started = time.perf_counter()
    rr_setup(sbml_text(model, doses), RR_RTOL, RR_ATOL, state_ids, param_ids)
    compile_s = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    rr_run((params, y0, 24.0 * RR_DAYS, RR_DAYS + 1))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(params) / elapsed, len(params) / cpu, compile_s, len(params), doses[0][2] if doses else 0.0


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=20_000, help="enrolled patients (all arms)")
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=None, help="engine threads (default: all cores)")
    parser.add_argument("--no-long-term", action="store_true", help="follow to day 90 only (no 6 m/1 y/5 y)")
    parser.add_argument(
        "--unpaired", action="store_true", help="simulate each patient under its own arm only"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--design", choices=("issue5", "issue14"), default="issue5", help="which example trial's arms"
    )
    parser.add_argument(
        "--roadrunner",
        type=int,
        default=0,
        metavar="N",
        help="also time libRoadRunner on N of the trial's patients and print the ratio",
    )
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one, deleted)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    from stromal.model.engine import warm_up
    from stromal.model.trial import ChunkResult, run_trial

    import_s = time.perf_counter() - started
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    warm_s = warm_up()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    warm_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    config = config_for(
        args.patients,
        chunk_size=args.chunk_size,
        long_term=not args.no_long_term,
        paired=not args.unpaired,
        seed=args.seed,
        design=args.design,
    )
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="stromal-bench-trial-"))
    samples: list[tuple[int, float]] = []
    done = [0]

    def sample(chunk: ChunkResult) -> None:
        done[0] += int(chunk.outcomes["assigned"].sum())
        samples.append((done[0], rss_mb()))

    rss_before = rss_mb()
    t0 = time.perf_counter()
    summary = run_trial(config, out, workers=args.workers, progress=sys.stderr.isatty(), on_chunk=sample)
    wall_s = time.perf_counter() - t0
    enrolled = summary["population"]["enrolled"]
    simulations = summary["timing"]["simulations"]
    disk_mb = folder_mb(out / "outcomes")
    peak = peak_rss_mb()

    half = samples[len(samples) // 2 :]
    if len(half) >= 2 and half[-1][0] > half[0][0]:
        x = np.array([s[0] for s in half], dtype=np.float64)
        y = np.array([s[1] for s in half], dtype=np.float64)
        slope_mb_per_patient = float(np.polyfit(x, y, 1)[0])
    else:
        slope_mb_per_patient = float("nan")
    rate = enrolled / wall_s
    extra = MILLION - enrolled
    print(
        f"stromal trial benchmark ({args.design} example arms, {'paired' if not args.unpaired else 'unpaired'}, "
        f"days 90, long-term {'on' if not args.no_long_term else 'off'}, chunk {config.chunk_size}, "
        f"workers {args.workers or 'all'}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})"
    )
    print(f"  import {import_s:.2f} s, engine warm-up (compile or cache load) {warm_s:.2f} s")
    print(f"  patients enrolled        {enrolled:>12,}   (simulations incl. twins: {simulations:,})")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"  wall time                {wall_s:>12.1f} s   (process CPU {usage.ru_utime + usage.ru_stime:.1f} s)"
    )
    print(f"  patients/s               {rate:>12.1f}   (simulations/s {simulations / wall_s:,.1f})")
    print(
        f"  RSS before / end / peak  {rss_before:>8.0f} / {samples[-1][1] if samples else float('nan'):.0f} / {peak:.0f} MB"
    )
    print(
        f"  memory slope             {slope_mb_per_patient * 1000:>12.4f} MB per 1,000 patients (2nd half of run)"
    )
    print(
        f"  outcomes on disk         {disk_mb:>12.1f} MB ({disk_mb * 1024 / max(enrolled, 1):.2f} kB per patient)"
    )
    print("  extrapolated to 1,000,000 patients on this machine:")
    print(f"    wall time              {MILLION / rate / 3600:>12.2f} h")
    print(
        f"    peak RSS               {peak + max(slope_mb_per_patient, 0.0) * extra:>12.0f} MB "
        "(measured peak + slope x remaining patients)"
    )
    print(f"    outcomes on disk       {disk_mb * MILLION / max(enrolled, 1) / 1024:>12.2f} GB")
    if args.roadrunner:
        load_before = os.getloadavg()[0]
        rr_rate, rr_cpu_rate, rr_compile, k, amount = roadrunner_rate(config, args.roadrunner)
        arms = len(config.arms)
        print(
            f"  libRoadRunner serial on {k} of these patients (chunk 0, from enrolment, {RR_DAYS} days, "
            f"daily output, rtol {RR_RTOL:g}, atol {RR_ATOL:g}, {config.arms[-1].name} doses of {amount:.3g}; "
            f"SBML load + compile {rr_compile:.2f} s excluded; load average {load_before:.1f} -> "
            f"{os.getloadavg()[0]:.1f})"
        )
        print(f"    libRoadRunner patients/s {rr_rate:>12.1f}   (one integration per patient)")
        print(f"    whole job / libRoadRunner      {rate / rr_rate:>6.2f}x   (target >= 3)")
        print(
            f"    per simulation                 {simulations / wall_s / rr_rate:>6.2f}x   "
            f"(the trial simulates every patient under {arms} arms, plus screening)"
        )
        # On a shared machine the wall-clock ratio moves with what else runs; CPU seconds do not.
        trial_cpu = usage.ru_utime + usage.ru_stime - warm_cpu
        print(
            f"    per CPU second                 {enrolled / trial_cpu / rr_cpu_rate:>6.2f}x   "
            f"(trial {enrolled / trial_cpu:,.1f} patients per CPU s, warm-up excluded; libRoadRunner "
            f"{rr_cpu_rate:,.1f}); on {os.cpu_count()} idle cores the wall ratio would be at most "
            f"{os.cpu_count()} x this"
        )
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
