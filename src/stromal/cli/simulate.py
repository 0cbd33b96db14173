"""``stromal simulate``: one virtual patient (nominal or sampled) or a cohort; CSV or Parquet trajectories."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stromal import RESEARCH_DISCLAIMER
from stromal.model.status import SolverStatus


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Simulate virtual patients from the insult (t = 0 h) and write trajectories: one row per "
        "patient and output time (patient, t_h, status), one column per state and observable. Large cohorts are "
        "simulated and written in batches, so memory does not grow with --n. " + RESEARCH_DISCLAIMER,
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

    from stromal.model.engine import simulate_cohort
    from stromal.model.parameters import (
        PARAMETER_INDEX,
        calibrated_values,
        nominal_parameters,
        sample_parameters,
    )
    from stromal.model.population import apply_calibration

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
    # The installed calibration applies as in `stromal trial` (a fitted value
    # scales its parameter's prior); --set wins over it.
    if args.sample or args.n > 1:
        params = apply_calibration(
            sample_parameters(rng, args.n, aetiology=args.aetiology), calibrated_values()
        )
        for name, value in overrides.items():
            params[:, PARAMETER_INDEX[name]] = value
    else:
        params = nominal_parameters(calibrated=True)[None, :]
        for name, value in overrides.items():
            params[0, PARAMETER_INDEX[name]] = value
    t_h = np.arange(0.0, args.days * 24.0 + 1e-9, args.step_h)
    # About two million output rows per batch: bounded memory for any cohort size.
    batch = max(1, ROWS_PER_BATCH // len(t_h))
    failed = 0
    version = ""
    with _Writer(out) as writer:
        for start in range(0, len(params), batch):
            rows = params[start : start + batch]
            result = simulate_cohort(rows, t_h)
            failed += int((result.status != SolverStatus.OK).sum())
            version = result.model_version
            writer.write(_frame(result, t_h, first_patient=start))
    print(
        f"wrote {len(params) * len(t_h)} rows ({len(params)} patients × {len(t_h)} times) to {out}; "
        f"model {version}; failed {failed}"
    )
    return 0


ROWS_PER_BATCH = 2_000_000


def _frame(result: Any, t_h: Any, *, first_patient: int) -> Any:
    """One batch as a wide table: patient, t_h, status, then every state and observable."""
    import numpy as np
    import pandas as pd

    from stromal.model.definition import MODEL

    n, n_t = result.y.shape[0], len(t_h)
    frame = pd.DataFrame(
        {
            "patient": np.repeat(np.arange(first_patient, first_patient + n), n_t),
            "t_h": np.tile(t_h, n),
            "status": np.repeat(result.status, n_t),
        }
    )
    for i, state in enumerate(MODEL.states):
        frame[state.name] = result.y[:, :, i].reshape(-1)
    for name, values in result.observables.items():
        frame[name] = np.asarray(values).reshape(-1)
    return frame


class _Writer:
    """Append batches to one CSV (header once) or one Parquet file (one row group per batch)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parquet: Any = None
        self.first = True

    def __enter__(self) -> _Writer:
        return self

    def write(self, frame: Any) -> None:
        if self.path.suffix == ".csv":
            frame.to_csv(self.path, index=False, mode="w" if self.first else "a", header=self.first)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.path, table.schema)
            self.parquet.write_table(table)
        self.first = False

    def __exit__(self, *exc: object) -> None:
        if self.parquet is not None:
            self.parquet.close()
