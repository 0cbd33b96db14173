"""``stromal validate --out DIR [--n-per-arm N]``: simulate the held-out published trials."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stromal import RESEARCH_DISCLAIMER


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Simulate every validation design in stromal/model/validation_targets (published MSC "
        "trials the model was not fitted to) and write validation.json and validation.md: published "
        "result with CI, predicted value with its Monte-Carlo CI and uncertainty interval, inside or not. "
        + RESEARCH_DISCLAIMER,
    )
    parser.add_argument("--out", default="validation", help="output folder (default: ./validation)")
    parser.add_argument(
        "--n-per-arm",
        type=int,
        default=500,
        help="virtual patients per allocation unit of each design (default 500)",
    )
    parser.add_argument(
        "--n-per-grade",
        type=int,
        default=2000,
        help="control patients per Berlin grade of the out-of-sample cohort (mortality and ventilation "
        "days by grade, survivors' long-term outcomes); 0 leaves it out (default 2000)",
    )
    parser.add_argument("--seed", type=int, default=None, help="override every design's own seed")
    parser.add_argument(
        "--keep-trials", action="store_true", help="keep each trial's outputs under OUT/trials/"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    if args.n_per_arm < 2:
        print("stromal validate: --n-per-arm: must be ≥ 2", file=sys.stderr)
        return 2
    if args.n_per_grade < 0:
        print("stromal validate: --n-per-grade: must be ≥ 0", file=sys.stderr)
        return 2
    from stromal.model.validation import validate, write_validation

    command = "stromal validate " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "stromal validate"
    out = Path(args.out)
    report = validate(
        n_per_arm=args.n_per_arm,
        seed=args.seed,
        keep=out / "trials" if args.keep_trials else None,
        command=command,
        n_per_grade=args.n_per_grade,
    )
    write_validation(report, out)
    print((out / "validation.md").read_text(encoding="utf-8"))
    return 0
