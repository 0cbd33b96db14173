"""``stromal simulate``: one virtual patient (nominal or sampled) or a cohort; CSV or Parquet trajectories."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stromal import RESEARCH_DISCLAIMER


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Simulate virtual patients from the insult (t = 0 h) and write trajectories of every state "
        "and observable (long format: patient, t_h, name, value). " + RESEARCH_DISCLAIMER,
    )
    parser.add_argument("--n", type=int, default=1, help="patients (1 = the nominal patient unless --sample)")
    parser.add_argument(
        "--sample", action="store_true", help="draw the patient(s) from the population priors"
    )
    parser.add_argument("--aetiology", default="viral", choices=("viral", "sepsis", "trauma"))
    parser.add_argument("--days", type=float, default=28.0, help="simulated days (default 28)")
    parser.add_argument("--step-h", type=float, default=1.0, help="output step in hours")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter"
    )
    parser.add_argument("--out", required=True, help="output file ending .csv or .parquet")
    return parser


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from stromal.model.engine import simulate_cohort
    from stromal.model.parameters import PARAMETER_INDEX, nominal_parameters, sample_parameters

    out = Path(args.out)
    if out.suffix not in {".csv", ".parquet"}:
        print("stromal simulate: --out: must end in .csv or .parquet", file=sys.stderr)
        return 2
    if args.n < 1 or not 0 < args.days <= 3650 or not 0 < args.step_h <= 24 * 30:
        print(
            "stromal simulate: --n ≥ 1, 0 < --days ≤ 3650 and 0 < --step-h ≤ 720 are required",
            file=sys.stderr,
        )
        return 2
    overrides: dict[str, float] = {}
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in PARAMETER_INDEX:
            print(f"stromal simulate: --set {name}: unknown parameter", file=sys.stderr)
            return 2
        try:
            overrides[name] = float(value)
        except ValueError:
            print(f"stromal simulate: --set {name}: {value!r} is not a number", file=sys.stderr)
            return 2
    rng = np.random.default_rng(args.seed)
    if args.sample or args.n > 1:
        params = sample_parameters(rng, args.n, aetiology=args.aetiology, overrides=overrides)
    else:
        params = nominal_parameters()[None, :]
        for name, value in overrides.items():
            params[0, PARAMETER_INDEX[name]] = value
    t_h = np.arange(0.0, args.days * 24.0 + 1e-9, args.step_h)
    result = simulate_cohort(params, t_h)
    from stromal.model.definition import MODEL

    columns = {s.name: result.y[:, :, i] for i, s in enumerate(MODEL.states)}
    columns.update({k: np.asarray(v) for k, v in result.observables.items()})
    n, n_t = len(params), len(t_h)
    frame = pd.DataFrame(
        {
            "patient": np.repeat(np.arange(n), n_t),
            "t_h": np.tile(t_h, n),
            "status": np.repeat(result.status, n_t),
        }
    )
    for name, values in columns.items():
        frame[name] = values.reshape(-1)
    if out.suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
    print(
        f"wrote {len(frame)} rows ({n} patients × {n_t} times) to {out}; model {result.model_version}; failed {int((result.status != 0).sum())}"
    )
    return 0
