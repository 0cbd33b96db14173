"""Trial summary (``summary.json``) and a self-contained HTML report.

The summary keys ``model_version``, ``seed``, ``arms`` (``name``, ``n``,
``mortality_28d``, ``mortality_28d_ci95``, ``mortality_90d``,
``ventilator_free_days_28d_mean``, ``pf_ratio_day7_median``, ``failed``) and
``comparisons`` (``arm``, ``risk_ratio_28d``, ``risk_ratio_28d_ci95``) are a
public contract (issue 5). Primary estimates use each patient's allocated
arm (the randomised trial); ``paired`` blocks use every virtual patient under
every arm (digital twins). Plots are Plotly figures with plotly.js embedded
from the installed package (no CDN, no network).
"""

from __future__ import annotations

import html
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stromal import RESEARCH_DISCLAIMER
from stromal.model import statistics as st
from stromal.model.trial_config import TrialConfig

MODEL_DISCLAIMER = (
    "Research model: not a medical device, not validated for clinical decisions. "
    "Simulated outcomes depend on assumed parameter distributions and calibration targets; "
    "they are hypotheses to test, not predictions for a patient. " + RESEARCH_DISCLAIMER
)

AGE_BANDS = ((18, 40, "18-39"), (40, 60, "40-59"), (60, 80, "60-79"), (80, 200, "80+"))


def _num(x: float) -> float | None:
    """JSON-safe number (NaN and infinity become null)."""
    return float(x) if x is not None and math.isfinite(x) else None


def _ci(ci: tuple[float, float]) -> list[float | None]:
    return [_num(ci[0]), _num(ci[1])]


def age_band(age_years: pd.Series) -> pd.Series:
    labels = pd.Series("", index=age_years.index, dtype=object)
    for low, high, label in AGE_BANDS:
        labels[(age_years >= low) & (age_years < high)] = label
    return labels


def arm_summary(frame: pd.DataFrame, name: str) -> dict[str, Any]:
    ok = frame[frame["status"] == 0]
    deaths28 = int(ok["died_28d"].sum())
    n_ok = len(ok)
    mort28 = deaths28 / n_ok if n_ok else math.nan
    mort60 = float(ok["died_60d"].mean()) if n_ok and ok["died_60d"].notna().any() else math.nan
    mort90 = float(ok["died_90d"].mean()) if n_ok and ok["died_90d"].notna().any() else math.nan
    vfd = st.mean_ci(ok["ventilator_free_days_28d"].to_numpy(np.float64))
    pf7 = st.median_ci(ok["pf_day7"].to_numpy(np.float64))
    out: dict[str, Any] = {
        "name": name,
        "n": len(frame),
        "mortality_28d": _num(mort28),
        "mortality_28d_ci95": _ci(st.wilson_interval(deaths28, n_ok)),
        "mortality_60d": _num(mort60),
        "mortality_90d": _num(mort90),
        "ventilator_free_days_28d_mean": _num(vfd.value),
        "ventilator_free_days_28d_ci95": _ci(vfd.ci95),
        "pf_ratio_day7_median": _num(pf7.value),
        "pf_ratio_day7_median_ci95": _ci(pf7.ci95),
        "pf_ratio_median_by_day": {str(d): _num(float(ok[f"pf_day{d}"].median())) for d in range(0, 8)},
        "failed": int((frame["status"] != 0).sum()),
    }
    for col in [c for c in frame.columns if c.startswith(("fvc_pct_", "dlco_pct_", "six_mwd_m_"))]:
        out[f"{col}_median"] = _num(float(ok[col].median())) if ok[col].notna().any() else None
    return out


def comparison(treated: pd.DataFrame, control: pd.DataFrame, name: str) -> dict[str, Any]:
    t, c = treated[treated["status"] == 0], control[control["status"] == 0]
    a, n1, e, n0 = int(t["died_28d"].sum()), len(t), int(c["died_28d"].sum()), len(c)
    rr = st.risk_ratio(a, n1, e, n0)
    rd = st.risk_difference(a, n1, e, n0)
    p_km = st.logrank_test(
        t["follow_up_days"].to_numpy(np.float64),
        t["died"].to_numpy(bool),
        c["follow_up_days"].to_numpy(np.float64),
        c["died"].to_numpy(bool),
    )
    return {
        "arm": name,
        "risk_ratio_28d": _num(rr.value),
        "risk_ratio_28d_ci95": _ci(rr.ci95),
        "risk_difference_28d": _num(rd.value),
        "risk_difference_28d_ci95": _ci(rd.ci95),
        "p_value_28d": _num(st.two_proportion_p_value(a, n1, e, n0)),
        "logrank_p": _num(p_km),
    }


def summarise(
    config: TrialConfig,
    outcomes: pd.DataFrame,
    *,
    model_version: str,
    population: dict[str, Any],
    sweep: pd.DataFrame | None = None,
    timing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything ``summary.json`` holds, computed from the per-patient outcomes."""
    assigned = outcomes[outcomes["assigned"]]
    arms = [arm_summary(assigned[assigned["arm"] == a.name], a.name) for a in config.arms]
    reference = config.reference
    comparisons: list[dict[str, Any]] = []
    paired: list[dict[str, Any]] = []
    subgroups: list[dict[str, Any]] = []
    power: list[dict[str, Any]] = []
    if reference is not None:
        ref = assigned[assigned["arm"] == reference.name]
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2**31 - 1]))
        for arm in config.arms:
            if arm.name == reference.name:
                continue
            comparisons.append(comparison(assigned[assigned["arm"] == arm.name], ref, arm.name))
            subgroups += _subgroups(config, assigned, arm.name, reference.name)
            if config.analysis.paired:
                paired.append(_paired(outcomes, arm.name, reference.name))
            source = outcomes if config.analysis.paired else assigned
            t = source[(source["arm"] == arm.name) & (source["status"] == 0)]["died_28d"].to_numpy(bool)
            c = source[(source["arm"] == reference.name) & (source["status"] == 0)]["died_28d"].to_numpy(bool)
            for size in config.analysis.power_n_per_arm or (config.population.n_per_arm,):
                est = st.simulated_power(t, c, n_per_arm=size, n_trials=config.analysis.power_trials, rng=rng)
                power.append(
                    {
                        "arm": arm.name,
                        "n_per_arm": size,
                        "trials": config.analysis.power_trials,
                        "power": _num(est.value),
                        "power_ci95": _ci(est.ci95),
                    }
                )
    n_cand = population.get("n_candidates", 0)
    n_total = int(outcomes["assigned"].sum())
    failed = int((outcomes["status"] != 0).sum())
    return {
        "model_version": model_version,
        "seed": config.seed,
        "title": config.title,
        "disclaimer": MODEL_DISCLAIMER,
        "design": (
            "Randomised (permuted blocks per chunk of patients); primary estimates use allocated arms. "
            + (
                "Paired digital-twin estimates simulate every enrolled patient under every arm."
                if config.analysis.paired
                else ""
            )
        ),
        "arms": arms,
        "comparisons": comparisons,
        "paired_comparisons": paired,
        "subgroups": subgroups,
        "power": power,
        "sweep": [] if sweep is None else json.loads(sweep.to_json(orient="records")),
        "population": {
            "enrolled": n_total,
            "target": config.n_patients,
            "candidates": n_cand,
            "acceptance_rate": _num(n_total / n_cand) if n_cand else None,
            "pre_enrolment_failure_rate": _num(population.get("n_failed_candidates", 0) / n_cand)
            if n_cand
            else None,
            "rejected": population.get("rejected", {}),
            "shortfall": population.get("shortfall", {}),
            "severity_mix": _mix(assigned, "severity"),
            "aetiology_mix": _mix(assigned, "aetiology"),
            "assumption": "severity and aetiology treated as independent at enrolment (quota = product of target marginals)",
        },
        "failure_rate": _num(failed / len(outcomes)) if len(outcomes) else None,
        "uncertainty": (
            "95 % CIs are sampling (Monte-Carlo) intervals over virtual patients: they shrink with n and do not "
            "include structural model uncertainty or prior sensitivity. Rerun with another seed or other priors "
            "(e.g. population.calibrated = false) to see the sensitivity."
        ),
        "config": _plain(config.raw),
        "timing": timing or {},
    }


def _mix(frame: pd.DataFrame, column: str) -> dict[str, float]:
    counts = frame[column].value_counts(normalize=True)
    return {str(k): round(float(v), 4) for k, v in counts.items()}


def _paired(outcomes: pd.DataFrame, arm: str, reference: str) -> dict[str, Any]:
    t = outcomes[outcomes["arm"] == arm].set_index("patient_id")
    c = outcomes[outcomes["arm"] == reference].set_index("patient_id")
    both = t.index.intersection(c.index)
    t, c = t.loc[both], c.loc[both]
    ok = (t["status"] == 0) & (c["status"] == 0)
    rd = st.paired_risk_difference(t.loc[ok, "died_28d"].to_numpy(bool), c.loc[ok, "died_28d"].to_numpy(bool))
    mt, mc = float(t.loc[ok, "died_28d"].mean()), float(c.loc[ok, "died_28d"].mean())
    return {
        "arm": arm,
        "n": int(ok.sum()),
        "mortality_28d": _num(mt),
        "reference_mortality_28d": _num(mc),
        "risk_ratio_28d": _num(mt / mc) if mc > 0 else None,
        "risk_difference_28d": _num(rd.value),
        "risk_difference_28d_ci95": _ci(rd.ci95),
    }


def _subgroups(config: TrialConfig, assigned: pd.DataFrame, arm: str, reference: str) -> list[dict[str, Any]]:
    frame = assigned[assigned["status"] == 0].copy()
    frame["age_band"] = age_band(frame["age_years"])
    rows = []
    for variable in config.analysis.subgroups:
        for level in sorted(frame[variable].unique()):
            sub = frame[frame[variable] == level]
            t, c = sub[sub["arm"] == arm], sub[sub["arm"] == reference]
            rr = st.risk_ratio(int(t["died_28d"].sum()), len(t), int(c["died_28d"].sum()), len(c))
            rows.append(
                {
                    "arm": arm,
                    "subgroup": variable,
                    "level": str(level),
                    "n_arm": len(t),
                    "n_reference": len(c),
                    "risk_ratio_28d": _num(rr.value),
                    "risk_ratio_28d_ci95": _ci(rr.ci95),
                }
            )
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_summary(summary: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(summary, indent=2, allow_nan=False), encoding="utf-8")


def render_html(summary: dict[str, Any], outcomes: pd.DataFrame, config: TrialConfig) -> str:
    """A self-contained HTML report: tables, survival curves, P/F bands, dose–response, forest plot."""
    import plotly.graph_objects as go
    import plotly.io as pio

    figures = [_survival_figure(outcomes, config, go), _pf_figure(outcomes, config, go)]
    if summary["sweep"]:
        figures.append(_sweep_figure(summary["sweep"], go))
    if summary["subgroups"]:
        figures.append(_forest_figure(summary["subgroups"], go))
    parts = []
    for i, fig in enumerate(figures):
        parts.append(
            pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        )
    rows = "".join(
        f"<tr><td>{html.escape(a['name'])}</td><td>{a['n']}</td><td>{_fmt(a['mortality_28d'])} ({_fmt(a['mortality_28d_ci95'][0])}–{_fmt(a['mortality_28d_ci95'][1])})</td>"
        f"<td>{_fmt(a['mortality_90d'])}</td><td>{_fmt(a['ventilator_free_days_28d_mean'], 1)}</td><td>{_fmt(a['pf_ratio_day7_median'], 0)}</td><td>{a['failed']}</td></tr>"
        for a in summary["arms"]
    )
    comps = "".join(
        f"<tr><td>{html.escape(c['arm'])}</td><td>{_fmt(c['risk_ratio_28d'])} ({_fmt(c['risk_ratio_28d_ci95'][0])}–{_fmt(c['risk_ratio_28d_ci95'][1])})</td>"
        f"<td>{_fmt(c['risk_difference_28d'])}</td><td>{_fmt(c['logrank_p'], 3)}</td></tr>"
        for c in summary["comparisons"]
    )
    pop = summary["population"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(summary["title"])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:4px 8px}}.warn{{background:#fff3cd;padding:1em;border:1px solid #e0c36b}}</style></head><body>
<h1>{html.escape(summary["title"])}</h1>
<p class="warn"><strong>{html.escape(summary["disclaimer"])}</strong></p>
<p>Model version <strong>{html.escape(summary["model_version"])}</strong>, seed <strong>{summary["seed"]}</strong>. {html.escape(summary["design"])}</p>
<p>Enrolled {pop["enrolled"]} of {pop["target"]} targeted from {pop["candidates"]} candidates (acceptance {_fmt(pop["acceptance_rate"], 3)}); solver failure rate {_fmt(summary["failure_rate"], 4)}. Shortfall: {html.escape(json.dumps(pop["shortfall"]))}.</p>
<h2>Arms (randomised allocation)</h2><table><tr><th>arm</th><th>n</th><th>28-day mortality (95 % CI)</th><th>90-day mortality</th><th>VFD to day 28 (mean)</th><th>P/F day 7 (median)</th><th>failed</th></tr>{rows}</table>
<h2>Comparisons with the reference arm</h2><table><tr><th>arm</th><th>risk ratio 28 d (95 % CI, Katz)</th><th>risk difference</th><th>log-rank p</th></tr>{comps}</table>
<h2>Uncertainty</h2><p>{html.escape(summary["uncertainty"])}</p>
{"".join(parts)}
<h2>Configuration</h2><pre>{html.escape(json.dumps(summary["config"], indent=2))}</pre>
</body></html>"""


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _survival_figure(outcomes: pd.DataFrame, config: TrialConfig, go: Any) -> Any:
    fig = go.Figure()
    assigned = outcomes[outcomes["assigned"] & (outcomes["status"] == 0)]
    for arm in config.arms:
        sub = assigned[assigned["arm"] == arm.name]
        km = st.kaplan_meier(sub["follow_up_days"].to_numpy(np.float64), sub["died"].to_numpy(bool))
        x = np.append(km.time, config.days)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.append(km.upper, km.upper[-1]),
                line_shape="hv",
                mode="lines",
                line_width=0,
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.append(km.lower, km.lower[-1]),
                line_shape="hv",
                mode="lines",
                line_width=0,
                fill="tonexty",
                opacity=0.2,
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x, y=np.append(km.survival, km.survival[-1]), line_shape="hv", mode="lines", name=arm.name
            )
        )
    fig.update_layout(
        title="Kaplan–Meier survival (95 % Greenwood CI)",
        xaxis_title="days from enrolment",
        yaxis_title="survival",
        yaxis_range=[0, 1.02],
    )
    return fig


def _pf_figure(outcomes: pd.DataFrame, config: TrialConfig, go: Any) -> Any:
    fig = go.Figure()
    days = list(range(0, 29))
    assigned = outcomes[outcomes["assigned"] & (outcomes["status"] == 0)]
    for arm in config.arms:
        # Bands from at most 20,000 patients per arm keep memory bounded on huge trials.
        sub = assigned[assigned["arm"] == arm.name].head(20_000)
        values = sub[[f"pf_day{d}" for d in days]].to_numpy(np.float64)
        with warnings.catch_warnings():
            # A day on which every patient of an arm has died has no P/F: a gap, not an error.
            warnings.simplefilter("ignore", RuntimeWarning)
            q = (
                np.nanpercentile(values, [10, 50, 90], axis=0)
                if len(values)
                else np.full((3, len(days)), np.nan)
            )
        fig.add_trace(
            go.Scatter(
                x=days + days[::-1],
                y=np.concatenate([q[2], q[0][::-1]]),
                fill="toself",
                opacity=0.2,
                line_width=0,
                name=f"{arm.name} 10–90 %",
            )
        )
        fig.add_trace(go.Scatter(x=days, y=q[1], mode="lines", name=f"{arm.name} median"))
    fig.update_layout(
        title="P/F ratio of survivors (median, 10th–90th percentile)",
        xaxis_title="day",
        yaxis_title="P/F (mmHg)",
    )
    return fig


def _sweep_figure(sweep: list[dict[str, Any]], go: Any) -> Any:
    fig = go.Figure()
    frame = pd.DataFrame(sweep)
    fig.add_trace(
        go.Scatter(
            x=frame["label"],
            y=frame["mortality_28d"],
            mode="lines+markers",
            name="28-day mortality",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": frame["ci_high"] - frame["mortality_28d"],
                "arrayminus": frame["mortality_28d"] - frame["ci_low"],
            },
        )
    )
    fig.update_layout(
        title="Dose–response / schedule sweep (same virtual patients)",
        xaxis_title="variant",
        yaxis_title="28-day mortality",
    )
    return fig


def _forest_figure(subgroups: list[dict[str, Any]], go: Any) -> Any:
    frame = pd.DataFrame(subgroups).dropna(subset=["risk_ratio_28d"])
    labels = frame["arm"] + ": " + frame["subgroup"] + " = " + frame["level"]
    lo = frame["risk_ratio_28d_ci95"].map(lambda c: c[0] if c[0] is not None else np.nan)
    hi = frame["risk_ratio_28d_ci95"].map(lambda c: c[1] if c[1] is not None else np.nan)
    fig = go.Figure(
        go.Scatter(
            x=frame["risk_ratio_28d"],
            y=labels,
            mode="markers",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": hi - frame["risk_ratio_28d"],
                "arrayminus": frame["risk_ratio_28d"] - lo,
            },
        )
    )
    fig.add_vline(x=1.0, line_dash="dash")
    fig.update_layout(
        title="Subgroups: 28-day mortality risk ratio (95 % CI)",
        xaxis_type="log",
        xaxis_title="risk ratio",
        height=300 + 22 * len(frame),
    )
    return fig
