"""Whole-trial benchmark: wall time, patients/s, peak memory, and the extrapolation to 10⁶ patients.

    python benchmarks/bench_trial.py                 # 20,000 patients (issue 5 example, 3 arms, paired)
    python benchmarks/bench_trial.py --patients 100000 --workers 2

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


def config_for(patients: int, *, chunk_size: int, long_term: bool, paired: bool, seed: int) -> Any:
    from stromal.model.trial_config import trial_config_from_dict

    arms = [
        {"name": "control"},
        {
            "name": "msc_iv",
            "route": "iv",
            "dose_cells_per_kg": 1e6,
            "weight_basis": "actual",
            "days": [1, 2],
            "viability_pct": 90,
        },
        {
            "name": "exosome_inhaled",
            "route": "inhaled",
            "dose_particles": 2e8,
            "days": [1, 2, 3, 4, 5],
            "device": "mesh",
        },
    ]
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
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one, deleted)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    from stromal.model.engine import warm_up
    from stromal.model.trial import ChunkResult, run_trial

    import_s = time.perf_counter() - started
    warm_s = warm_up()
    config = config_for(
        args.patients,
        chunk_size=args.chunk_size,
        long_term=not args.no_long_term,
        paired=not args.unpaired,
        seed=args.seed,
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
        f"stromal trial benchmark (issue 5 example arms, {'paired' if not args.unpaired else 'unpaired'}, "
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
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
