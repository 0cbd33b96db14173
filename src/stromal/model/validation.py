"""Held-out validation: simulate published MSC trials the model was not fitted to.

Each ``validation_targets/*.toml`` holds one trial: ``[trial]`` (name,
source, design in words, the published result with its 95 % CI, the
published group sizes, and the assumptions the model design needs) and
``[config]``, the trial's design as a ``stromal trial`` configuration
(population, dose, schedule, allocation as published) without its size.
None of them is a calibration target (:mod:`stromal.model.calibration`
refuses a shared name, and a test checks the sets are apart).

``stromal validate --out DIR`` runs every design at ``n_per_arm`` virtual
patients per allocation unit (much larger than the trial, so the prediction
is the model's, not a noisy replay) and writes ``validation.json`` and
``validation.md``: trial, design, published result with CI, predicted value
with its Monte-Carlo CI and its uncertainty interval (UI: with parameter
uncertainty, from the posterior ensemble), and two verdicts:

* ``published_inside_ui``: the published point estimate lies inside the
  predicted 95 % UI;
* ``compatible``: the published and the predicted estimates do not differ
  at the 5 % level (z test on the difference, each SE from its 95 %
  interval; risk ratios on the log scale). A small trial is compatible with
  almost anything: read the width of its CI beside the verdict.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from stromal.model.statistics import Z_95
from stromal.model.status import SolverStatus

QUANTITIES = ("risk_ratio_28d", "pf_change_day7_median_difference")

#: Resamples of the cluster bootstrap (posterior set, then patients) for P/F endpoints.
BOOTSTRAP_RESAMPLES = 400


@dataclass(frozen=True)
class ValidationTrial:
    slug: str
    name: str
    cell_type: str
    source: str
    design: str
    quantity: str
    value: float
    low: float
    high: float
    published: str
    n_treated: int
    n_control: int
    assumptions: str
    config: Mapping[str, Any]


def load_validation_trials(folder: Path | None = None) -> list[ValidationTrial]:
    """Every trial in ``stromal/model/validation_targets`` (or ``folder``), by file name."""
    root: Any = folder if folder is not None else resources.files("stromal.model") / "validation_targets"
    out = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        raw = tomllib.loads(entry.read_text(encoding="utf-8"))
        t = raw["trial"]
        where = f"{entry.name}: trial"
        if t.get("quantity") not in QUANTITIES:
            raise ValueError(f"{where}.quantity: must be one of {', '.join(QUANTITIES)}")
        if not float(t["low"]) <= float(t["value"]) <= float(t["high"]):
            raise ValueError(f"{where}.value: must lie inside [low, high]")
        out.append(
            ValidationTrial(
                slug=entry.name.removesuffix(".toml"),
                name=str(t["name"]),
                cell_type=str(t.get("cell_type", "")),
                source=str(t["source"]),
                design=str(t["design"]),
                quantity=str(t["quantity"]),
                value=float(t["value"]),
                low=float(t["low"]),
                high=float(t["high"]),
                published=str(t.get("published", "")),
                n_treated=int(t["n_treated"]),
                n_control=int(t["n_control"]),
                assumptions=str(t.get("assumptions", "")),
                config=raw["config"],
            )
        )
    return out


def trial_config(trial: ValidationTrial, n_per_arm: int, seed: int | None = None) -> Any:
    """The ``TrialConfig`` of a validation design at ``n_per_arm``.

    Paired: every patient is also simulated under the other arm, so that each posterior
    set's risk ratio (for the UI) comes from twins; the estimate itself stays randomised.
    """
    from stromal.model.trial_config import trial_config_from_dict

    raw = json.loads(json.dumps(trial.config))  # a deep, plain copy
    raw.setdefault("chunk_size", 2_000)
    if seed is not None:
        raw["seed"] = seed
    raw["population"] = {**raw["population"], "n_per_arm": n_per_arm, "calibrated": True}
    raw["analysis"] = {"paired": True, "long_term": False, "power_trials": 0, "subgroups": []}
    return trial_config_from_dict(raw)


def _se_from_ci(low: float, high: float, *, log: bool) -> float:
    if log:
        return (math.log(high) - math.log(low)) / (2 * Z_95)
    return (high - low) / (2 * Z_95)


def _verdicts(trial: ValidationTrial, value: float, ui: Sequence[float] | None) -> dict[str, Any]:
    log = trial.quantity == "risk_ratio_28d"
    if ui is None or not math.isfinite(value) or (log and not (value > 0 and ui[0] > 0)):
        return {"published_inside_ui": None, "compatible": None, "z": None}
    f = math.log if log else (lambda x: x)
    se_pub = _se_from_ci(trial.low, trial.high, log=log)
    se_pred = _se_from_ci(ui[0], ui[1], log=log)
    z = (f(trial.value) - f(value)) / math.hypot(se_pub, se_pred)
    return {
        "published_inside_ui": bool(ui[0] <= trial.value <= ui[1]),
        "compatible": bool(abs(z) <= Z_95),
        "z": z,
    }


def _pf_change(outcomes: Any, arm: str) -> Any:
    """Allocated survivors of ``arm`` with their P/F change day 0 to 7 (validation designs name
    their arms ``control`` and ``msc``)."""
    rows = outcomes[outcomes["assigned"] & (outcomes["arm"] == arm) & (outcomes["status"] == SolverStatus.OK)]
    rows = rows[np.isfinite(rows["pf_day7"]) & np.isfinite(rows["pf_day0"])]
    return rows.assign(change=rows["pf_day7"] - rows["pf_day0"])


def pf_change_difference(outcomes: Any, seed: int) -> dict[str, Any]:
    """Median P/F change day 0 to 7 (survivors), treated minus control, with CI and UI (bootstrap).

    CI: patients resampled within each arm. UI: a cluster bootstrap,
    posterior sets resampled first, then patients within each set and arm
    (Davison AC, Hinkley DV, Bootstrap Methods and their Application, CUP
    1997, section 3.8), so it holds parameter and Monte-Carlo uncertainty.
    """
    treated, control = _pf_change(outcomes, "msc"), _pf_change(outcomes, "control")
    value = float(np.median(treated["change"]) - np.median(control["change"]))
    rng = np.random.default_rng(seed)
    t, c = treated["change"].to_numpy(), control["change"].to_numpy()
    boot = [
        np.median(rng.choice(t, len(t))) - np.median(rng.choice(c, len(c)))
        for _ in range(BOOTSTRAP_RESAMPLES)
    ]
    ci = [float(x) for x in np.quantile(boot, [0.025, 0.975])]
    ui: list[float] | None = None
    if "posterior_draw" in outcomes.columns:
        sets = np.unique(outcomes["posterior_draw"])
        by_t = {k: treated.loc[treated["posterior_draw"] == k, "change"].to_numpy() for k in sets}
        by_c = {k: control.loc[control["posterior_draw"] == k, "change"].to_numpy() for k in sets}
        cluster = []
        for _ in range(BOOTSTRAP_RESAMPLES):
            picked = rng.choice(sets, len(sets))
            tt = [rng.choice(by_t[k], len(by_t[k])) for k in picked if len(by_t[k])]
            cc = [rng.choice(by_c[k], len(by_c[k])) for k in picked if len(by_c[k])]
            if tt and cc:  # a resample without one arm has no difference (tiny trials only)
                cluster.append(np.median(np.concatenate(tt)) - np.median(np.concatenate(cc)))
        ui = [float(x) for x in np.quantile(cluster, [0.025, 0.975])] if cluster else None
    return {"value": value, "ci95": ci, "ui95": ui}


def validate_trial(
    trial: ValidationTrial, *, n_per_arm: int, out: Path, seed: int | None = None
) -> dict[str, Any]:
    """Simulate one validation design; its row of the validation table."""
    from stromal.model.trial import read_outcomes, run_trial

    config = trial_config(trial, n_per_arm, seed)
    summary = run_trial(config, out)
    (comparison,) = summary["comparisons"]
    arms = {a["name"]: a for a in summary["arms"]}
    predicted: dict[str, Any]
    if trial.quantity == "risk_ratio_28d":
        ui = comparison["risk_ratio_28d_ui95"]
        predicted = {
            "value": comparison["risk_ratio_28d"],
            "ci95": comparison["risk_ratio_28d_ci95"],
            "ui95": ui,
            "ui_reason": comparison["risk_ratio_28d_ui_reason"],
            "between_draw_variance_log_rr": comparison["log_risk_ratio_between_draw_variance"],
            "ui_note": comparison.get("risk_ratio_28d_ui_note"),
        }
    else:
        outcomes = read_outcomes(out / "outcomes")
        predicted = pf_change_difference(outcomes, config.seed)
        predicted["ui_reason"] = None if predicted["ui95"] else summary["posterior"]["reason"]
    verdict = _verdicts(trial, float(predicted["value"]), predicted["ui95"])
    return {
        "trial": trial.name,
        "file": f"stromal/model/validation_targets/{trial.slug}.toml",
        "cell_type": trial.cell_type,
        "design": trial.design,
        "source": trial.source,
        "quantity": trial.quantity,
        "published": {
            "value": trial.value,
            "ci95": [trial.low, trial.high],
            "text": trial.published,
            "n_treated": trial.n_treated,
            "n_control": trial.n_control,
        },
        "predicted": predicted,
        "simulated": {
            "n_per_arm": n_per_arm,
            "allocation": summary["allocation"],
            "enrolled": summary["population"]["enrolled"],
            "shortfall": summary["population"]["shortfall"],
            "mortality_28d": {name: a["mortality_28d"] for name, a in arms.items()},
            "seed": config.seed,
        },
        "assumptions": trial.assumptions,
        **verdict,
    }


def validate(
    *,
    n_per_arm: int = 500,
    seed: int | None = None,
    trials_dir: Path | None = None,
    keep: Path | None = None,
    command: str = "",
    n_per_grade: int = 0,
) -> dict[str, Any]:
    """Run every validation design; the whole report as plain data.

    ``n_per_grade`` > 0 adds the out-of-sample control cohort of
    :mod:`stromal.model.cohort_checks` (mortality and ventilation days by
    Berlin grade, survivors' long-term outcomes) under ``cohort_checks``.
    """
    from stromal.model.cohort_checks import cohort_checks
    from stromal.model.definition import MODEL_VERSION
    from stromal.model.population import calibration_provenance
    from stromal.model.trial import _posterior_summary

    trials = load_validation_trials()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        base = keep or Path(scratch)
        for trial in trials:
            rows.append(validate_trial(trial, n_per_arm=n_per_arm, out=base / trial.slug, seed=seed))
    probe = trial_config(trials[0], n_per_arm) if trials else None
    return {
        "model_version": MODEL_VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or "stromal validate",
        "n_per_arm": n_per_arm,
        "calibration": calibration_provenance(True),
        "posterior": _posterior_summary(probe) if probe is not None else {},
        "trials": rows,
        "cohort_checks": cohort_checks(n_per_grade) if n_per_grade > 0 else None,
        "note": "Research model, not a medical device. Held-out trials: none is a calibration target "
        "(the Fang 2024 meta-analysis that is one pools some of them). Predicted values come from "
        "n_per_arm virtual patients per allocation unit under the published design; the UI adds "
        "parameter uncertainty from the posterior ensemble. published_inside_ui: the published point "
        "lies inside the predicted 95 % UI; compatible: published and predicted estimates do not differ "
        "at the 5 % level (z test, SEs from the two intervals).",
    }


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _interval(ci: Sequence[float | None] | None, digits: int = 2) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "–"
    return f"{ci[0]:.{digits}f}–{ci[1]:.{digits}f}"


def verdict_cell(flag: bool | None) -> str:
    """A yes/no verdict as a report cell: "–" when there is none, a miss in bold."""
    return "–" if flag is None else ("yes" if flag else "**no**")


def validation_markdown(report: Mapping[str, Any]) -> str:
    lines = [
        f"# Held-out validation (model {report['model_version']}, n per arm {report['n_per_arm']})",
        "",
        "Research model, not a medical device. Misses are shown, not hidden.",
        "",
        "| trial | design | endpoint | published (95 % CI) | predicted (MC 95 % CI) | predicted 95 % UI "
        "| published inside UI | compatible (z) | source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["trials"]:
        p, q = r["published"], r["predicted"]
        digits = 2 if r["quantity"] == "risk_ratio_28d" else 1
        ui = _interval(q["ui95"], digits) if q.get("ui95") else f"none ({q.get('ui_reason')})"
        if q.get("between_draw_variance_log_rr") == 0.0:
            ui += " (between-set variance 0: equals the CI)"
        z = "" if r["z"] is None else f" ({r['z']:+.2f})"
        lines.append(
            f"| {r['trial']} | {r['design']} | {r['quantity']} | {p['value']:g} ({p['ci95'][0]:g}–{p['ci95'][1]:g}) "
            f"| {_fmt(q['value'], digits)} ({_interval(q['ci95'], digits)}) | {ui} "
            f"| {verdict_cell(r['published_inside_ui'])} | {verdict_cell(r['compatible'])}{z} | {r['source']} |"
        )
    inside = sum(bool(r["published_inside_ui"]) for r in report["trials"])
    compatible = sum(bool(r["compatible"]) for r in report["trials"])
    n = len(report["trials"])
    lines += [
        "",
        f"Published point inside the predicted UI: {inside} of {n}; compatible at the 5 % level: {compatible} of {n}.",
        "",
        "Published figures and modelling assumptions:",
        "",
    ]
    for r in report["trials"]:
        sim = r["simulated"]
        mort = ", ".join(f"{k} {_fmt(v, 3)}" for k, v in sim["mortality_28d"].items())
        lines.append(
            f"- **{r['trial']}** ({r['cell_type']}): {r['published']['text']}. Simulated 28-day mortality: {mort} "
            f"(enrolled {sim['enrolled']}, seed {sim['seed']}). Assumptions: {r['assumptions']}."
        )
    if report.get("cohort_checks"):
        from stromal.model.cohort_checks import cohort_checks_markdown

        lines += ["", *cohort_checks_markdown(report["cohort_checks"])]
    posterior = report.get("posterior", {})
    lines += [
        "",
        "Parameter uncertainty: "
        + str(posterior.get("reason", "no posterior information"))
        + (f" (posterior.json of {posterior.get('created')})." if posterior.get("used") else "."),
        "",
        f"Command: `{report['command']}`. {report['note']}",
    ]
    return "\n".join(lines) + "\n"


def write_validation(report: Mapping[str, Any], out: Path) -> None:
    """``validation.json`` and ``validation.md`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "validation.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "validation.md").write_text(validation_markdown(report), encoding="utf-8")
