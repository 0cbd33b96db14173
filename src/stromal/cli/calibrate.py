"""``stromal calibrate [--out DIR] [--quick] [--install] [--posterior]``: fit free parameters, report every target.

``--posterior`` samples a posterior ensemble instead of the point fit
(:mod:`stromal.model.posterior`): ``posterior.json`` / ``posterior.md`` in
``--out``, and with ``--install`` the package's ``posterior.json``, which
trials draw their patients across for ``risk_ratio_28d_ui95``.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from stromal import RESEARCH_DISCLAIMER


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Fit the model's free parameters to the published targets in "
        "stromal/model/calibration_targets and write calibration.json, calibration.md and calibrated.toml. "
        + RESEARCH_DISCLAIMER,
    )
    parser.add_argument("--out", default="calibration", help="output folder (default: ./calibration)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny population and 3 evaluations (a smoke test)"
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--n-per-arm", type=int, default=None, help="virtual patients per arm (default 300; quick 30)"
    )
    parser.add_argument("--max-evaluations", type=int, default=None, help="default 400; quick 3")
    parser.add_argument(
        "--time-budget-s",
        type=float,
        default=None,
        help="stop the search after this many seconds, keeping the best point (default 900; quick 60)",
    )
    parser.add_argument(
        "--install",
        action="store_true",
        help="also write the fit to the package's calibrated.toml, which trials load",
    )
    posterior = parser.add_argument_group("posterior ensemble (--posterior)")
    posterior.add_argument(
        "--posterior",
        action="store_true",
        help="sample a posterior ensemble with emcee (Gaussian synthetic likelihood) instead of a point fit",
    )
    posterior.add_argument("--walkers", type=int, default=16, help="emcee walkers (default 16)")
    posterior.add_argument("--steps", type=int, default=60, help="ensemble steps at most (default 60)")
    posterior.add_argument("--draws", type=int, default=40, help="parameter draws kept (default 40)")
    return parser


def _run_posterior(args: argparse.Namespace, command: str) -> int:
    if args.walkers < 2 * 8 or args.walkers % 2:
        print(
            "stromal calibrate: --walkers: must be even and ≥ 16 (twice the fitted parameters)",
            file=sys.stderr,
        )
        return 2
    if args.steps < 2 or args.draws < 1:
        print("stromal calibrate: --steps: must be ≥ 2 and --draws ≥ 1", file=sys.stderr)
        return 2
    from stromal.model.posterior import posterior_file, sample_posterior, write_posterior

    quick = args.quick
    report = sample_posterior(
        seed=args.seed,
        n_per_arm=args.n_per_arm or (30 if quick else 300),
        walkers=args.walkers,
        steps=2 if quick else args.steps,
        draws=args.draws,
        time_budget_s=args.time_budget_s or (60.0 if quick else 540.0),
        command=command,
    )
    out = Path(args.out)
    write_posterior(report, out)
    print((out / "posterior.md").read_text(encoding="utf-8"))
    if args.install:
        target = Path(str(posterior_file()))
        target.write_text((out / "posterior.json").read_text(encoding="utf-8"), encoding="utf-8")
        print(f"installed the posterior ensemble in {target}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.n_per_arm is not None and args.n_per_arm < 5:
        print("stromal calibrate: --n-per-arm: must be ≥ 5", file=sys.stderr)
        return 2
    if args.max_evaluations is not None and args.max_evaluations < 1:
        print("stromal calibrate: --max-evaluations: must be ≥ 1", file=sys.stderr)
        return 2
    if args.time_budget_s is not None and not args.time_budget_s > 0:
        print("stromal calibrate: --time-budget-s: must be > 0", file=sys.stderr)
        return 2
    from stromal.model.calibration import calibrate, calibrated_toml, write_report

    command = "stromal calibrate " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "stromal calibrate"
    if args.posterior:
        return _run_posterior(args, command)
    report = calibrate(
        quick=args.quick,
        seed=args.seed,
        n_per_arm=args.n_per_arm,
        max_evaluations=args.max_evaluations,
        time_budget_s=args.time_budget_s,
        command=command,
    )
    out = Path(args.out)
    write_report(report, out)
    print((out / "calibration.md").read_text(encoding="utf-8"))
    if args.install:
        target = Path(str(resources.files("stromal.model") / "calibrated.toml"))
        target.write_text(calibrated_toml(report), encoding="utf-8")
        print(f"installed fitted values in {target}")
    return 0
