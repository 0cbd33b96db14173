"""``stromal trial --config trial.toml --out DIR``: run an in-silico trial."""

from __future__ import annotations

import argparse
import os
import sys

from stromal import RESEARCH_DISCLAIMER

CONFIG_ERROR_EXIT = 2


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run an in-silico trial from a TOML configuration; writes summary.json, "
        "outcomes/part-*.parquet (one row per patient and arm) and report.html. Every key of the TOML, with "
        "its type, unit, default and rule: docs/trial-config.md; examples: examples/*.toml. A dose outside the "
        "studied range exits 2 unless the TOML says allow_extrapolation = true. " + RESEARCH_DISCLAIMER,
    )
    parser.add_argument(
        "--config", required=True, help="trial TOML file (keys: docs/trial-config.md; examples: examples/)"
    )
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument(
        "--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT (default: this machine)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="engine threads on this machine (default: all cores)"
    )
    parser.add_argument(
        "--quiet",
        "--no-progress",
        dest="quiet",
        action="store_true",
        help="no progress bar (it is shown on stderr only when stderr is a terminal)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    from stromal.model.trial_config import TrialConfigError, load_trial_config

    try:
        config = load_trial_config(args.config)
    except TrialConfigError as exc:
        print(f"stromal trial: invalid configuration: {exc}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    if args.workers is not None and args.workers < 1:
        print("stromal trial: --workers: must be ≥ 1", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    from stromal.model.trial import run_trial

    for extrapolated in config.extrapolated_doses():
        print(
            f"stromal trial: warning: {extrapolated.key}: extrapolated dose: {extrapolated.describe()}",
            file=sys.stderr,
        )
    progress = not args.quiet and sys.stderr.isatty()
    summary = run_trial(config, args.out, scheduler=args.scheduler, workers=args.workers, progress=progress)
    for arm in summary["arms"]:
        m = arm["mortality_28d"]
        print(
            f"{arm['name']}: n={arm['n']} 28-day mortality {'–' if m is None else f'{m:.3f}'} failed={arm['failed']}"
        )
    for c in summary["comparisons"]:
        rr = c["risk_ratio_28d"]
        lo, hi = c["risk_ratio_28d_ci95"]
        print(f"{c['arm']} vs reference: RR 28d {rr} (95% CI {lo}–{hi})")
    print(
        f"wrote {os.path.join(args.out, 'summary.json')} and report.html (model {summary['model_version']}, seed {summary['seed']})"
    )
    return 0
