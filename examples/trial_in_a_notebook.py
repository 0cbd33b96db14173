"""Run a small in-silico trial from Python, as in a notebook.

    python examples/trial_in_a_notebook.py --n-per-arm 20 --out /tmp/trial

Uses only the public API of :mod:`stromal.model` (the same functions as
``stromal trial``): build a configuration from plain data (or
``load_trial_config("trial.toml")``), run it, read the summary and the
per-patient outcomes, then simulate one cohort directly with
``simulate_cohort``. Research model: not a medical device; every number
below is a hypothesis with Monte-Carlo uncertainty, not a prediction.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from stromal.model import (
    MODEL_VERSION,
    read_outcomes,
    run_trial,
    sample_parameters,
    simulate_cohort,
    trial_config_from_dict,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-per-arm", type=int, default=200)
    parser.add_argument("--out", default="trial-output")
    args = parser.parse_args(argv)
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
    print(f"model {summary['model_version']}, seed {summary['seed']}: {summary['disclaimer']}")
    for arm in summary["arms"]:
        print(arm["name"], arm["n"], arm["mortality_28d"], arm["mortality_28d_ci95"])
    for c in summary["comparisons"]:
        print("RR 28d", c["arm"], c["risk_ratio_28d"], c["risk_ratio_28d_ci95"])
    print("uncertainty:", summary["uncertainty"])
    outcomes = read_outcomes(Path(args.out) / "outcomes")
    print(f"{len(outcomes)} outcome rows (one per patient and arm)")

    # One cohort directly: 5 virtual viral-pneumonia patients for 3 days from the insult.
    params = sample_parameters(np.random.default_rng(1), 5, aetiology="viral")
    result = simulate_cohort(params, np.arange(0.0, 72.0 + 1e-9, 6.0))
    pf = result.observables["pf_ratio"][:, -1]
    print(f"model {MODEL_VERSION}: P/F at 72 h", np.round(pf, 0), "status", result.status)


if __name__ == "__main__":
    main()
