"""IV MSC dose-response across digital twins: risk ratio, deaths avoided and deaths caused.

    python benchmarks/bench_dose_response.py                 # 2,000 twins per dose
    python benchmarks/bench_dose_response.py --patients 500

Every enrolled virtual patient (calibrated model, 34/33/33 % mild/moderate/
severe, 60/30/10 % viral/sepsis/trauma, fixed seed) is simulated untreated
and under one IV dose of 1e6, 1e7, 1e8 and 1e9 viable-equivalent cells/kg on
day 0 (90 % viability), with the same death threshold (common random
numbers). Printed per dose: 28-day mortality, the paired risk ratio with a
95 % bootstrap interval over twins, and the twins harmed (die treated,
survive untreated) and saved (the reverse). The benefit saturates above
about 1e7 cells/kg (Emax) while the microthrombus harm (tissue-factor
activity, Moll G et al., Stem Cells 2012;30:1565-74, doi:10.1002/stem.1111)
keeps growing with the number of cells. Doses above 1e7 cells/kg are
extrapolations beyond every study cited. Benchmarks are not tests: nothing
here asserts a value.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

DOSES_CELLS_PER_KG = (1e6, 1e7, 1e8, 1e9)


def main() -> None:
    from stromal.model.trial import iter_chunks
    from stromal.model.trial_config import trial_config_from_dict

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    arms = [{"name": "control"}] + [
        {"name": f"iv_{i}", "route": "iv", "dose_cells_per_kg": d, "days": [0], "viability_pct": 90}
        for i, d in enumerate(DOSES_CELLS_PER_KG)
    ]
    config = trial_config_from_dict(
        {
            "seed": args.seed,
            "days": 60,
            "chunk_size": 10_000,
            "allow_extrapolation": True,
            "population": {
                "n_per_arm": -(-args.patients // len(arms)),
                "severity": {"mild": 0.34, "moderate": 0.33, "severe": 0.33},
                "aetiology": {"viral": 0.6, "sepsis": 0.3, "trauma": 0.1},
            },
            "arm": arms,
            "analysis": {"paired": True, "long_term": False, "power_trials": 0},
        }
    )
    started = time.perf_counter()
    o = pd.concat([c.outcomes for c in iter_chunks(config)], ignore_index=True)
    o = o[o["status"] == 0]
    seconds = time.perf_counter() - started
    control = o[o["arm"] == "control"].set_index("patient_id")["died_28d"]
    print(
        f"{len(control)} twins x {len(arms)} arms in {seconds:.0f} s, seed {args.seed}, "
        f"load {os.getloadavg()[0]:.2f}; control 28-day mortality {control.mean():.3f}"
    )
    rng = np.random.default_rng(0)
    print("cells/kg  treated  RR (95% bootstrap)      harmed  saved")
    for i, dose in enumerate(DOSES_CELLS_PER_KG):
        treated = o[o["arm"] == f"iv_{i}"].set_index("patient_id")["died_28d"]
        common = control.index.intersection(treated.index)
        c, t = control.loc[common].to_numpy(), treated.loc[common].to_numpy()
        draws = rng.integers(0, len(c), (1000, len(c)))
        boot = t[draws].mean(axis=1) / np.maximum(c[draws].mean(axis=1), 1e-12)
        low, high = np.percentile(boot, [2.5, 97.5])
        harmed = int(((t == 1) & (c == 0)).sum())
        saved = int(((t == 0) & (c == 1)).sum())
        print(
            f"{dose:8.0e}  {t.mean():.3f}    {t.mean() / c.mean():.3f} ({low:.3f}-{high:.3f})"
            f"   {harmed:5d}  {saved:5d}"
        )


if __name__ == "__main__":
    main()
