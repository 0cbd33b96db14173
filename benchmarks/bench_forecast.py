"""The per-patient forecast (``stromal.model.forecast``): time to enrol the reference population
(once per worker process and model version), to condition and simulate one patient under two arms,
and to simulate the whole reference population under one arm (the registry check, per arm).

Target (issue 15): a forecast in under 30 s on the 2-core machine, reference population included.

    PYTHONPATH=src python benchmarks/bench_forecast.py [--threads 2]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2, help="numba threads (the 2-core machine: 2)")
    parser.add_argument("--patients", type=int, default=5, help="patients forecast after the first")
    args = parser.parse_args()
    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    from stromal.clinical.protocol import Arm, arm_from_dict
    from stromal.model import forecast as fc
    from stromal.model import warm_up

    started = time.perf_counter()
    warm_up()
    print(f"engine warm-up (compile or cache load): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    reference = fc.reference_population()
    reference_s = time.perf_counter() - started
    print(f"reference population: {reference.population.n} patients in {reference_s:.2f} s")
    arm = arm_from_dict(
        {"name": "ucmsc_iv", "route": "iv", "product": "uc_msc", "dose_cells_per_kg": 1e6, "days": [1, 2]}
    )
    patient = fc.PatientValues(
        pf_ratio_mmhg=175,
        age_years=55,
        sex_male=False,
        weight_kg=80,
        aetiology="viral",
        spo2_pct=91,
        hours_since_onset=30,
        il6_pg_ml=80,
    )
    times = []
    for i in range(args.patients):
        started = time.perf_counter()
        result = fc.forecast_patient(patient, (Arm("without"), arm), reference, seed=i)
        times.append(time.perf_counter() - started)
    print(
        f"forecast (ESS {result.ess:.0f}, {fc.N_DRAWS} draws x 2 arms to 1 year): "
        f"median {sorted(times)[len(times) // 2]:.2f} s, max {max(times):.2f} s"
    )
    print(f"first forecast of a worker process: {reference_s + times[0]:.2f} s (target < 30 s)")
    # The registry check simulates the whole reference population once per planned arm.
    for each in (Arm("control"), arm):
        started = time.perf_counter()
        mortality = fc.reference_mortality(reference, each)
        print(
            f"registry check, {each.name}: {reference.population.n} virtual patients to day {fc.CHECK_DAY} "
            f"in {time.perf_counter() - started:.2f} s (mean predicted mortality {float(mortality.mean()):.3f})"
        )


if __name__ == "__main__":
    main()
