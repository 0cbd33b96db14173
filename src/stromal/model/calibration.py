"""Calibration: fit free parameters to published targets and report every target.

Targets are data files (``calibration_targets/*.toml``), each with a value, a
range (95 % CI or IQR) and its source. The fit minimises
Σ ((simulated − value) / half-range)² over a seeded virtual population with
common random numbers (the same seed at every evaluation), by Nelder–Mead on
log-multipliers of the fitted parameters (scipy.optimize). The report lists
every target with the simulated value and whether it falls in the published
range: misses are shown, not hidden.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from stromal.clinical.protocol import Arm, arm_from_dict
from stromal.model.population import Engine, apply_calibration, real_engine
from stromal.model.trial import iter_chunks
from stromal.model.trial_config import TrialConfig, trial_config_from_dict

#: Free parameters fitted by default (the others keep their nominal values).
FITTED = ("hazard_scale_per_h", "barrier_injury_per_h", "msc_ec50_1e6_cells")


@dataclass(frozen=True)
class Target:
    name: str
    quantity: str
    value: float
    low: float
    high: float
    source: str
    severity: str | None = None
    arm: Arm | None = None
    severity_filter: tuple[str, ...] = ()


def load_targets() -> list[Target]:
    """Every ``[[target]]`` of every file in ``stromal/model/calibration_targets``."""
    folder = resources.files("stromal.model") / "calibration_targets"
    out = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        for raw in tomllib.loads(entry.read_text(encoding="utf-8")).get("target", []):
            out.append(
                Target(
                    name=raw["name"],
                    quantity=raw["quantity"],
                    value=float(raw["value"]),
                    low=float(raw["low"]),
                    high=float(raw["high"]),
                    source=raw["source"],
                    severity=raw.get("severity"),
                    arm=arm_from_dict(raw["arm"], f"{raw['name']}.arm") if "arm" in raw else None,
                    severity_filter=tuple(raw.get("severity_filter", ())),
                )
            )
    return out


def _config(targets: Sequence[Target], n_per_arm: int, seed: int) -> TrialConfig:
    arms: list[dict[str, Any]] = [{"name": "control"}]
    for i, t in enumerate(targets):
        if t.arm is not None:
            raw = {k: getattr(v, "value", v) for k, v in vars(t.arm).items() if v is not None and v != ()}
            raw["days"] = list(t.arm.days)
            raw["name"] = f"t{i}"
            arms.append(raw)
    return trial_config_from_dict(
        {
            "seed": seed,
            "days": 90,
            "chunk_size": 10_000,
            "population": {
                "n_per_arm": n_per_arm,
                "severity": {"mild": 0.34, "moderate": 0.33, "severe": 0.33},
                "aetiology": {"viral": 0.6, "sepsis": 0.3, "trauma": 0.1},
                "calibrated": False,
            },
            "arm": arms,
            "analysis": {"paired": True, "long_term": False, "power_trials": 0},
        }
    )


def simulate_targets(
    targets: Sequence[Target],
    multipliers: Mapping[str, float],
    *,
    n_per_arm: int,
    seed: int,
    engine: Engine | None = None,
) -> dict[str, float]:
    """Simulated value of every target with the fitted parameters scaled by ``multipliers``."""
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    real = engine or real_engine()
    fitted = {name: PARAMETERS[PARAMETER_INDEX[name]].value * m for name, m in multipliers.items()}

    def simulate(params: np.ndarray, t_h: np.ndarray, **kwargs: Any) -> Any:
        return real.simulate(apply_calibration(params, fitted), t_h, **kwargs)

    engine = Engine(simulate, real.dose_events_for_arm, real.no_doses)
    config = _config(targets, n_per_arm, seed)
    # Every patient under every arm: one "chunk" worth of patients per arm of the design.
    frames = [c.outcomes for c in iter_chunks(config, engine=engine)]
    o = pd.concat(frames, ignore_index=True)
    o = o[o["status"] == 0]
    control = o[o["arm"] == "control"].set_index("patient_id")
    out: dict[str, float] = {}
    for i, t in enumerate(targets):
        if t.quantity == "mortality_90d":
            out[t.name] = float(control.loc[control["severity"] == t.severity, "died_90d"].mean())
        elif t.quantity == "ventilation_days_survivors_median":
            sub = control[(control["severity"] == t.severity) & (control["died_28d"] == 0)]
            out[t.name] = float(sub["ventilation_days_28d"].median())
        elif t.quantity == "msc_lung_half_life_h":
            j = PARAMETER_INDEX["msc_lung_half_life_h"]
            out[t.name] = float(fitted.get("msc_lung_half_life_h", PARAMETERS[j].value))
        else:
            treated = o[o["arm"] == f"t{i}"].set_index("patient_id")
            c = control.loc[control.index.intersection(treated.index)]
            if t.severity_filter:
                treated = treated[treated["severity"].isin(t.severity_filter)]
                c = c[c["severity"].isin(t.severity_filter)]
            if t.quantity == "risk_ratio_28d":
                mc = float(c["died_28d"].mean())
                out[t.name] = float(treated["died_28d"].mean()) / mc if mc > 0 else math.nan
            elif t.quantity == "pf_change_day7_median_difference":
                dt_ = (treated["pf_day7"] - treated["pf_day0"]).median()
                dc = (c["pf_day7"] - c["pf_day0"]).median()
                out[t.name] = float(dt_ - dc)
            else:
                raise ValueError(f"{t.name}.quantity: unknown quantity {t.quantity!r}")
    return out


def _loss(targets: Sequence[Target], simulated: Mapping[str, float]) -> float:
    total = 0.0
    for t in targets:
        s = simulated.get(t.name, math.nan)
        half = max((t.high - t.low) / 2, 1e-9)
        total += ((s - t.value) / half) ** 2 if math.isfinite(s) else 100.0
    return total


def calibrate(
    *,
    quick: bool = False,
    seed: int = 20240601,
    n_per_arm: int | None = None,
    max_evaluations: int | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Fit ``FITTED`` to the targets; return the report (targets, values, fit) as plain data."""
    from stromal.model.definition import MODEL_VERSION
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    targets = load_targets()
    n = n_per_arm or (30 if quick else 400)
    budget = max_evaluations if max_evaluations is not None else (3 if quick else 60)
    history: list[float] = []

    def objective(log_m: np.ndarray) -> float:
        sim = simulate_targets(
            targets, dict(zip(FITTED, np.exp(log_m), strict=True)), n_per_arm=n, seed=seed, engine=engine
        )
        history.append(_loss(targets, sim))
        return history[-1]

    start = np.zeros(len(FITTED))
    result = optimize.minimize(
        objective,
        start,
        method="Nelder-Mead",
        options={
            "maxfev": budget,
            "xatol": 0.02,
            "fatol": 0.05,
            "initial_simplex": np.vstack([start, 0.4 * np.eye(len(FITTED))]),
        },
    )
    multipliers = dict(zip(FITTED, np.exp(result.x), strict=True))
    simulated = simulate_targets(targets, multipliers, n_per_arm=n, seed=seed, engine=engine)
    fitted = {name: PARAMETERS[PARAMETER_INDEX[name]].value * m for name, m in multipliers.items()}
    rows = []
    for t in targets:
        s = simulated[t.name]
        rows.append(
            {
                "target": t.name,
                "quantity": t.quantity,
                "published": t.value,
                "low": t.low,
                "high": t.high,
                "simulated": s if math.isfinite(s) else None,
                "within_range": bool(math.isfinite(s) and t.low <= s <= t.high),
                "source": t.source,
            }
        )
    return {
        "model_version": MODEL_VERSION,
        "seed": seed,
        "n_per_arm": n,
        "quick": quick,
        "evaluations": len(history),
        "loss_start": history[0] if history else None,
        "loss_final": _loss(targets, simulated),
        "fitted": fitted,
        "targets": rows,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": "Research model. Monte-Carlo error of simulated values is of order 1/sqrt(n) per subgroup; "
        "a quick calibration is a smoke test, not a fit.",
    }


def write_report(report: Mapping[str, Any], out: Path) -> None:
    """``calibration.json``, ``calibration.md`` (the table) and ``calibrated.toml``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    lines = [
        f"# Calibration report (model {report['model_version']}, seed {report['seed']}, n per arm {report['n_per_arm']})",
        "",
        "Research model, not a medical device. Misses are shown, not hidden.",
        "",
        "| target | published (range) | simulated | within range | source |",
        "|---|---|---|---|---|",
    ]
    for r in report["targets"]:
        sim = "–" if r["simulated"] is None else f"{r['simulated']:.3g}"
        lines.append(
            f"| {r['target']} | {r['published']:g} ({r['low']:g}–{r['high']:g}) | {sim} | {'yes' if r['within_range'] else '**no**'} | {r['source']} |"
        )
    lines += ["", "Fitted: " + ", ".join(f"{k} = {v:.4g}" for k, v in report["fitted"].items())]
    (out / "calibration.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "calibrated.toml").write_text(calibrated_toml(report), encoding="utf-8")


def calibrated_toml(report: Mapping[str, Any]) -> str:
    head = (
        f"# Fitted by `stromal calibrate` on {report['created']} (model {report['model_version']}, "
        f"seed {report['seed']}, n per arm {report['n_per_arm']}, quick = {str(report['quick']).lower()}, "
        f"loss {report['loss_final']:.3g}).\n# Loaded by stromal.model.population.calibrated_overrides().\n[parameters]\n"
    )
    return head + "".join(f"{k} = {v!r}\n" for k, v in report["fitted"].items())
