"""``stromal export-sbml``: the model as SBML Level 3, optionally with a protocol's doses.

Examples::

    stromal export-sbml --out model.xml
    stromal export-sbml --out start.xml --protocol start-like-single-iv --arm bmmsc_iv \\
        --weight-kg 85 --height-cm 178 --sex male

The patient's covariates set the parameter values in the file (so the cells
per kg and predicted body weight are the patient's); every other parameter
is at its calibrated nominal value (the installed ``calibrated.toml``, as
``stromal simulate`` and ``stromal trial`` use), or at the prior's nominal
value with ``--uncalibrated``. Every parameter and state declares its unit.
Exit 0 on success, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

USAGE_EXIT = 2

_LIMITS = {"weight_kg": (20.0, 400.0), "height_cm": (100.0, 250.0)}


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Export the ARDS + MSC/exosome model (and a protocol arm's doses) as SBML Level 3. "
        "Research model, not a validated clinical tool.",
    )
    parser.add_argument("--out", required=True, help="file to write (SBML XML)")
    parser.add_argument("--protocol", help="code of a shipped protocol whose doses become SBML events")
    parser.add_argument("--arm", help="arm of --protocol (default: its first treatment arm)")
    parser.add_argument("--weight-kg", type=float, default=80.0, help="actual body weight, kg (default 80)")
    parser.add_argument("--height-cm", type=float, default=170.0, help="height, cm (default 170)")
    parser.add_argument("--sex", choices=("male", "female"), default="male", help="sex (default male)")
    parser.add_argument(
        "--uncalibrated",
        action="store_true",
        help="write the priors' nominal values instead of the calibrated ones (default: calibrated, "
        "as stromal simulate uses)",
    )
    return parser


def _fail(option: str, rule: str) -> int:
    print(f"stromal export-sbml: {option}: {rule}", file=sys.stderr)
    return USAGE_EXIT


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from stromal.clinical.protocol import ProtocolError, builtin_protocols
    from stromal.model.definition import MODEL
    from stromal.model.dosing import dose_events_for_arm
    from stromal.model.parameters import PARAMETER_INDEX, nominal_parameters
    from stromal.model.sbml import to_sbml

    for option, key in (("--weight-kg", "weight_kg"), ("--height-cm", "height_cm")):
        value = getattr(args, key)
        low, high = _LIMITS[key]
        if not (np.isfinite(value) and low <= value <= high):
            return _fail(option, f"must be between {low:g} and {high:g}, got {value:g}")
    if args.arm and not args.protocol:
        return _fail("--arm", "needs --protocol")
    params = nominal_parameters(calibrated=not args.uncalibrated)
    params[PARAMETER_INDEX["weight_kg"]] = args.weight_kg
    params[PARAMETER_INDEX["height_cm"]] = args.height_cm
    params[PARAMETER_INDEX["sex_male"]] = 1.0 if args.sex == "male" else 0.0
    doses: list[tuple[float, int, float]] = []
    title = ""
    if args.protocol:
        protocols = {p.code: p for p in builtin_protocols()}
        if args.protocol not in protocols:
            return _fail("--protocol", "must be one of " + ", ".join(sorted(protocols)))
        protocol = protocols[args.protocol]
        try:
            arm = protocol.arm(args.arm) if args.arm else next(a for a in protocol.arms if not a.is_control)
        except ProtocolError:
            names = ", ".join(a.name for a in protocol.arms)
            return _fail("--arm", f"must be an arm of {protocol.code}: {names}")
        except StopIteration:
            return _fail("--protocol", "has no treatment arm")
        events = dose_events_for_arm(
            arm,
            weight_kg=np.array([args.weight_kg]),
            height_cm=np.array([args.height_cm]),
            sex_male=np.array([params[PARAMETER_INDEX["sex_male"]]]),
            params=params[None, :],
        )
        doses = events.for_patient(0)
        title = f"{MODEL.name} {MODEL.version}: {protocol.code} v{protocol.version}, arm {arm.name}"
    out = Path(args.out)
    if not out.parent.exists():
        return _fail("--out", f"folder {out.parent} does not exist")
    out.write_text(to_sbml(MODEL, params=params, doses=doses, title=title), encoding="utf-8")
    which = "prior (uncalibrated)" if args.uncalibrated else "calibrated"
    print(f"wrote {out} ({len(doses)} dose events, {which} nominal values); research model {MODEL.version}")
    return 0
