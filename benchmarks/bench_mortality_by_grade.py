"""Control-arm mortality and ventilation days by Berlin grade, against Ranieri 2012.

    python benchmarks/bench_mortality_by_grade.py                  # n = 2,000 per grade
    python benchmarks/bench_mortality_by_grade.py --n-per-grade 300 --long-term

Enrols ``--n-per-grade`` virtual control patients per Berlin grade with the
calibrated model (``stromal.model.cohort_checks.control_cohort``, the cohort
``stromal validate`` reports) (population mix of ``stromal calibrate``: 60 % viral, 30 %
sepsis, 10 % trauma) on a fixed seed, and prints 28-, 60- and 90-day
mortality with Wilson 95 % intervals (SciPy), the median (IQR) of
ventilation days from ARDS onset in 60-day survivors, and mortality by
aetiology. Targets: Berlin definition, Ranieri VM et al., JAMA
2012;307:2526-33, doi:10.1001/jama.2012.5669: hospital mortality 27 / 32 / 45 %,
ventilation days in survivors median 5 / 7 / 9. ``--long-term`` adds the
survivors' FVC, DLCO and 6MWD (% predicted) at 6 months, 1 year and 5 years.
Benchmarks are not tests: nothing here asserts a value.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from typing import Any

BERLIN_60D = {"mild": 0.27, "moderate": 0.32, "severe": 0.45}
BERLIN_VENT_DAYS = {"mild": 5.0, "moderate": 7.0, "severe": 9.0}


def control_outcomes(n_per_grade: int, seed: int, *, long_term: bool) -> Any:
    """Outcome table of ``n_per_grade`` control patients per Berlin grade (the validation's cohort)."""
    from stromal.model.cohort_checks import control_cohort

    return control_cohort(n_per_grade, seed, long_term=long_term)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-grade", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--long-term", action="store_true")
    args = parser.parse_args()
    from stromal.model.statistics import wilson_interval

    started = time.perf_counter()
    o = control_outcomes(args.n_per_grade, args.seed, long_term=args.long_term)
    seconds = time.perf_counter() - started
    print(
        f"control arm, seed {args.seed}, {len(o)} patients in {seconds:.0f} s, load {os.getloadavg()[0]:.2f}"
    )
    print(
        "grade     n     28-day             60-day (Berlin)           90-day             vent days (Berlin)"
    )
    for grade in ("mild", "moderate", "severe"):
        g = o[o["severity"] == grade]
        cells = []
        for d in (28, 60, 90):
            k = int(g[f"died_{d}d"].sum())
            low, high = wilson_interval(k, len(g))
            cells.append(f"{k / len(g):.3f} ({low:.3f}-{high:.3f})")
        cells[1] += f" [{BERLIN_60D[grade]:.2f}]"
        alive = g[g["died_60d"] == 0]
        vent = alive["ventilation_days_28d"] + alive["onset_to_enrolment_h"] / 24.0
        q1, med, q3 = vent.quantile([0.25, 0.5, 0.75])
        print(
            f"{grade:9s} {len(g):5d} {cells[0]:18s} {cells[1]:25s} {cells[2]:18s} "
            f"{med:.1f} ({q1:.1f}-{q3:.1f}) [{BERLIN_VENT_DAYS[grade]:.0f}]"
        )
    print("60-day mortality by aetiology (all grades):")
    for aetiology, g in o.groupby("aetiology"):
        print(f"  {aetiology:7s} n={len(g):5d} {g['died_60d'].mean():.3f}")
    print("60-day mortality by age band (all grades):")
    bands = [18, 40, 60, 70, 81]
    for low, high in itertools.pairwise(bands):
        g = o[(o["age_years"] >= low) & (o["age_years"] < high)]
        print(f"  {low}-{high - 1}: n={len(g):5d} {g['died_60d'].mean():.3f}")
    if args.long_term:
        print("survivors at 90 days, median (IQR), % predicted:")
        for label in ("6m", "1y", "5y"):
            parts = []
            for name in ("fvc_pct", "dlco_pct"):
                q1, med, q3 = o[f"{name}_{label}"].quantile([0.25, 0.5, 0.75])
                parts.append(f"{name[:-4].upper()} {med:.0f} ({q1:.0f}-{q3:.0f})")
            from stromal.model import endpoints as ep

            pred = ep.six_minute_walk_predicted_m(
                o["age_years"], o["height_cm"], o["weight_kg"], o["sex_male"]
            )
            walk = 100 * o[f"six_mwd_m_{label}"] / pred
            q1, med, q3 = walk.quantile([0.25, 0.5, 0.75])
            parts.append(f"6MWD {med:.0f} ({q1:.0f}-{q3:.0f})")
            print(f"  {label}: " + ", ".join(parts) + f"  n={int(o[f'dlco_pct_{label}'].notna().sum())}")


if __name__ == "__main__":
    main()
