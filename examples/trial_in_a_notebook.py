"""Run a small in-silico trial from Python, as in a notebook.

    python examples/trial_in_a_notebook.py --n-per-arm 20 --out /tmp/trial

The same functions as ``stromal trial``: build a configuration from plain data
(or ``load_trial_config("trial.toml")``), run it, read the summary and the
per-patient outcomes. Research model: not a medical device.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stromal.model.trial import read_outcomes, run_trial
from stromal.model.trial_config import trial_config_from_dict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-per-arm", type=int, default=200)
    parser.add_argument("--out", default="trial-output")
    args = parser.parse_args()
    config = trial_config_from_dict(
        {
            "seed": 7,
            "days": 90,
            "population": {
                "n_per_arm": args.n_per_arm,
                "severity": {"mild": 0.3, "moderate": 0.45, "severe": 0.25},
                "aetiology": {"viral": 0.6, "sepsis": 0.3, "trauma": 0.1},
                "age_years": [18, 80],
            },
            "arm": [
                {"name": "control"},
                {
                    "name": "msc_iv",
                    "route": "iv",
                    "dose_cells_per_kg": 1e6,
                    "days": [1, 2],
                    "viability_pct": 90,
                },
            ],
            "analysis": {"power_trials": 50, "long_term": False},
        }
    )
    summary = run_trial(config, args.out)
    for arm in summary["arms"]:
        print(arm["name"], arm["n"], arm["mortality_28d"], arm["mortality_28d_ci95"])
    for c in summary["comparisons"]:
        print("RR 28d", c["arm"], c["risk_ratio_28d"], c["risk_ratio_28d_ci95"])
    outcomes = read_outcomes(Path(args.out) / "outcomes")
    print(f"{len(outcomes)} outcome rows (one per patient and arm)")


if __name__ == "__main__":
    main()
