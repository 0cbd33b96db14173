"""Trial summary (``summary.json``) and a self-contained HTML report.

The summary keys ``model_version``, ``seed``, ``arms`` (``name``, ``n``,
``mortality_28d``, ``mortality_28d_ci95``, ``mortality_90d``,
``ventilator_free_days_28d_mean``, ``pf_ratio_day7_median``, ``failed``) and
``comparisons`` (``arm``, ``risk_ratio_28d``, ``risk_ratio_28d_ci95``) are a
public contract (issue 5). Primary estimates use each patient's allocated
arm (the randomised trial); ``paired`` blocks use every virtual patient under
every arm (digital twins). Everything is computed from the streamed
:class:`~stromal.model.tally.TrialTally`, never from the whole outcomes
table, so a million-patient trial is summarised in bounded memory. Plots are
Plotly figures with plotly.js embedded from the installed package (no CDN,
no network); plotly is imported only when the report is rendered.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from stromal import RESEARCH_DISCLAIMER
from stromal.model import statistics as st
from stromal.model.tally import PF_DAYS, PRECISION_NOTE, ArmTally, PairedTally, TrialTally
from stromal.model.trial_config import TrialConfig

MODEL_DISCLAIMER = (
    "Research model: not a medical device, not validated for clinical decisions. "
    "Simulated outcomes depend on assumed parameter distributions and calibration targets; "
    "they are hypotheses to test, not predictions for a patient. " + RESEARCH_DISCLAIMER
)


def _num(x: float | None) -> float | None:
    """JSON-safe number (NaN and infinity become null)."""
    return float(x) if x is not None and math.isfinite(x) else None


def _ci(ci: tuple[float, float]) -> list[float | None]:
    return [_num(ci[0]), _num(ci[1])]


def arm_summary(arm: ArmTally, name: str) -> dict[str, Any]:
    """The contracted per-arm block, from the arm's randomised patients."""
    deaths28, measured28 = arm.deaths_by.get(28, 0), arm.measured_by.get(28, 0)
    vfd = arm.vfd.estimate()
    pf7 = arm.pf[7].median_ci()
    out: dict[str, Any] = {
        "name": name,
        "n": arm.n,
        "mortality_28d": _num(arm.mortality(28)),
        "mortality_28d_ci95": _ci(st.wilson_interval(deaths28, measured28)),
        "mortality_60d": _num(arm.mortality(60)),
        "mortality_90d": _num(arm.mortality(90)),
        "ventilator_free_days_28d_mean": _num(vfd.value),
        "ventilator_free_days_28d_ci95": _ci(vfd.ci95),
        "pf_ratio_day7_median": _num(pf7.value),
        "pf_ratio_day7_median_ci95": _ci(pf7.ci95),
        "pf_ratio_median_by_day": {str(d): _num(arm.pf[d].quantile(0.5)) for d in range(0, 8)},
        "failed": arm.failed,
    }
    for column, hist in arm.long_term.items():
        out[f"{column}_median"] = _num(hist.quantile(0.5))
    return out


UI_NOTE = (
    "risk_ratio_28d_ci95 is the Monte-Carlo (sampling) interval of this simulated trial at the "
    "calibrated parameters' spread of patients; risk_ratio_28d_ui95 also includes parameter "
    "uncertainty: patients are drawn across posterior parameter sets (stromal calibrate --posterior), "
    "one risk ratio per set (from the digital twins when the design is paired, which are far less "
    "noisy, else from the randomised patients); the Katz interval is widened by their "
    "DerSimonian-Laird between-set variance. It is null, with the reason, when no posterior was used."
)


def uncertainty(tally: TrialTally, arm: str, reference: str, reason: str) -> dict[str, Any]:
    """``risk_ratio_28d_ui95`` and its companions for one comparison (null with a reason when absent).

    The UI is the trial's Katz interval widened by the between-draw variance
    τ² of log RR (:func:`stromal.model.statistics.widened_interval`), so it
    is centred on ``risk_ratio_28d`` and never narrower than
    ``risk_ratio_28d_ci95``.
    """
    twins = tally.paired_draws.get(arm, {})
    treated, control = tally.draws.get(arm, {}), tally.draws.get(reference, {})
    keys = sorted(twins) if twins else sorted(set(treated) | set(control))
    method = "paired digital twins per posterior set" if twins else "randomised patients per posterior set"
    pooled: st.UncertaintyInterval | None
    if not keys:
        pooled = None
    elif twins:
        pooled = st.paired_risk_ratio_across_draws(
            [twins[k][0] for k in keys], [twins[k][1] for k in keys], [twins[k][2] for k in keys]
        )
    else:
        pooled = st.risk_ratio_across_draws(
            [treated.get(k, [0, 0])[1] for k in keys],
            [treated.get(k, [0, 0])[0] for k in keys],
            [control.get(k, [0, 0])[1] for k in keys],
            [control.get(k, [0, 0])[0] for k in keys],
        )
    if pooled is None:
        why = reason if not keys else "fewer than 2 posterior sets had patients and deaths in both arms"
        return {
            "risk_ratio_28d_ui95": None,
            "risk_ratio_28d_ui_reason": why,
            "risk_ratio_28d_across_draws": None,
            "risk_ratio_28d_ui_draws": 0,
            "log_risk_ratio_between_draw_variance": None,
            "risk_ratio_28d_ui_method": None,
            "risk_ratio_28d_ui_note": None,
        }
    t_arm, c_arm = tally.arms[arm], tally.arms[reference]
    a, n1 = t_arm.deaths_by.get(28, 0), t_arm.measured_by.get(28, 0)
    e, n0 = c_arm.deaths_by.get(28, 0), c_arm.measured_by.get(28, 0)
    rr = st.risk_ratio(a, n1, e, n0).value
    return {
        "risk_ratio_28d_ui95": _ci(st.widened_interval(rr, st.katz_se(a, n1, e, n0), pooled.tau2)),
        "risk_ratio_28d_ui_reason": None,
        "risk_ratio_28d_across_draws": _num(pooled.value),
        "risk_ratio_28d_ui_draws": pooled.draws,
        "log_risk_ratio_between_draw_variance": _num(pooled.tau2),
        "risk_ratio_28d_ui_method": method,
        "risk_ratio_28d_ui_note": (
            f"the between-set variance is estimated at 0 from {pooled.draws} posterior sets: at this number "
            "of patients per set the parameter uncertainty is not detectable beyond Monte-Carlo error, so the "
            "UI equals the CI; more patients per arm resolve it"
            if pooled.tau2 == 0.0
            else None
        ),
    }


def comparison(treated: ArmTally, control: ArmTally, name: str) -> dict[str, Any]:
    """Treated arm vs the reference arm: 28-day risk ratio and difference, log-rank test."""
    a, n1 = treated.deaths_by.get(28, 0), treated.measured_by.get(28, 0)
    e, n0 = control.deaths_by.get(28, 0), control.measured_by.get(28, 0)
    rr = st.risk_ratio(a, n1, e, n0)
    rd = st.risk_difference(a, n1, e, n0)
    p_km = st.logrank_counts(
        treated.death_counts, treated.censored_counts, control.death_counts, control.censored_counts
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
    tally: TrialTally,
    *,
    model_version: str,
    population: dict[str, Any],
    sweep: list[dict[str, Any]] | None = None,
    timing: dict[str, Any] | None = None,
    calibration: dict[str, Any] | None = None,
    posterior: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything ``summary.json`` holds, computed from the streamed tally.

    ``posterior``: ``{"used": bool, "reason": str, ...}`` from
    :func:`stromal.model.trial.posterior_for`; every comparison carries
    ``risk_ratio_28d_ui95`` (null with ``risk_ratio_28d_ui_reason`` when no
    posterior was used) beside the Monte-Carlo ``risk_ratio_28d_ci95``.
    """
    posterior = posterior or {"used": False, "reason": "no posterior information was passed to the summary"}
    arms = [arm_summary(tally.arms[a.name], a.name) for a in config.arms]
    reference = config.reference
    comparisons: list[dict[str, Any]] = []
    paired: list[dict[str, Any]] = []
    power: list[dict[str, Any]] = []
    if reference is not None:
        ref = tally.arms[reference.name]
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2**31 - 1]))
        for arm in config.arms:
            if arm.name == reference.name:
                continue
            comparisons.append(
                comparison(tally.arms[arm.name], ref, arm.name)
                | uncertainty(tally, arm.name, reference.name, str(posterior.get("reason", "")))
            )
            if arm.name in tally.paired:
                paired.append(_paired(tally.paired[arm.name], arm.name))
            if config.analysis.paired:
                (n_t, d_t), (n_c, d_c) = tally.all_rows[arm.name], tally.all_rows[reference.name]
            else:
                t_arm = tally.arms[arm.name]
                n_t, d_t = t_arm.measured_by.get(28, 0), t_arm.deaths_by.get(28, 0)
                n_c, d_c = ref.measured_by.get(28, 0), ref.deaths_by.get(28, 0)
            weights = dict(zip((a.name for a in config.arms), config.weights, strict=True))
            allocation = (weights[arm.name], weights[reference.name])
            for size in config.analysis.power_n_per_arm or (config.population.n_per_arm,):
                est = st.simulated_power_counts(
                    d_t,
                    n_t,
                    d_c,
                    n_c,
                    n_per_arm=size,
                    n_trials=config.analysis.power_trials,
                    rng=rng,
                    allocation=allocation,
                )
                power.append(
                    {
                        "arm": arm.name,
                        "n_per_arm": size,
                        "n_arm": size * allocation[0],
                        "n_reference": size * allocation[1],
                        "trials": config.analysis.power_trials,
                        "power": _num(est.value),
                        "power_ci95": _ci(est.ci95),
                    }
                )
    n_cand = population.get("n_candidates", 0)
    calibration = calibration or {"used": False, "reason": "not recorded"}
    from stromal.model.trial import block_size

    ratio = ":".join(str(w) for w in config.weights)
    return {
        "model_version": model_version,
        "seed": config.seed,
        "title": config.title,
        "disclaimer": MODEL_DISCLAIMER,
        "design": (
            f"Randomised {ratio} ({', '.join(a.name for a in config.arms)}) in permuted blocks of "
            f"{block_size(config.weights)} stratified by severity, per chunk of patients; "
            "primary estimates use allocated arms. "
            + (
                "Paired digital-twin estimates simulate every enrolled patient under every arm."
                if config.analysis.paired
                else ""
            )
        ),
        "allocation": {a.name: w for a, w in zip(config.arms, config.weights, strict=True)},
        "dose_extrapolated": [e.as_dict() for e in config.extrapolated_doses()],
        "arms": arms,
        "comparisons": comparisons,
        "paired_comparisons": paired,
        "subgroups": _subgroups(tally),
        "power": power,
        "power_method": "Monte-Carlo trials drawing n × the arm's allocation weight per arm with replacement "
        "from the simulated outcomes (deaths ~ Binomial(n, simulated risk)); two-proportion z test at alpha 0.05.",
        "sweep": sweep or [],
        "population": {
            "enrolled": tally.enrolled,
            "target": config.n_patients,
            "candidates": n_cand,
            "acceptance_rate": _num(tally.enrolled / n_cand) if n_cand else None,
            "pre_enrolment_failure_rate": _num(population.get("n_failed_candidates", 0) / n_cand)
            if n_cand
            else None,
            "rejected": population.get("rejected", {}),
            "shortfall": population.get("shortfall", {}),
            "severity_mix": _mix(tally, "severity"),
            "aetiology_mix": _mix(tally, "aetiology"),
            "assumption": "severity and aetiology treated as independent at enrolment (quota = product of target marginals)",
        },
        "failure_rate": _num(tally.failed_rows / tally.rows) if tally.rows else None,
        "calibration": calibration,
        "posterior": posterior,
        "uncertainty": (
            "95 % CIs are sampling (Monte-Carlo) intervals over virtual patients: they shrink with n and do not "
            "include structural model uncertainty or prior sensitivity. "
            + UI_NOTE
            + (
                " Parameter uncertainty was propagated: " + str(posterior.get("reason")) + ". "
                if posterior.get("used")
                else " Parameter uncertainty was NOT propagated: " + str(posterior.get("reason")) + ". "
            )
            + (
                "Calibrated parameters were used (see calibration). "
                if calibration.get("used")
                else "No calibrated parameters were used: the population priors are the published/assumed ones. "
            )
            + "Rerun with another seed or other priors (e.g. population.calibrated = false) to see the sensitivity."
        ),
        "precision": {
            "note": PRECISION_NOTE,
            "histogram_values_outside_range": sum(a.clipped for a in tally.arms.values()),
        },
        "config": _plain(config.raw),
        "timing": timing or {},
    }


def _mix(tally: TrialTally, attribute: str) -> dict[str, float]:
    counts: dict[str, int] = {}
    for arm in tally.arms.values():
        for level, n in getattr(arm, attribute).items():
            counts[level] = counts.get(level, 0) + n
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {k: round(v / total, 4) for k, v in ordered} if total else {}


def _paired(tally: PairedTally, arm: str) -> dict[str, Any]:
    rd = tally.difference.estimate()
    mt = tally.deaths_treated / tally.n if tally.n else math.nan
    mc = tally.deaths_reference / tally.n if tally.n else math.nan
    return {
        "arm": arm,
        "n": tally.n,
        "mortality_28d": _num(mt),
        "reference_mortality_28d": _num(mc),
        "risk_ratio_28d": _num(mt / mc) if mc > 0 else None,
        "risk_difference_28d": _num(rd.value),
        "risk_difference_28d_ci95": _ci(rd.ci95),
    }


def _subgroups(tally: TrialTally) -> list[dict[str, Any]]:
    rows = []
    order = {name: i for i, name in enumerate(tally.arm_names)}
    variables = {name: i for i, name in enumerate(tally.subgroup_variables)}
    for key in sorted(tally.subgroups, key=lambda k: (order[k[0]], variables[k[1]], k[2])):
        arm, variable, level = key
        n_t, d_t, n_c, d_c = tally.subgroups[key]
        rr = st.risk_ratio(d_t, n_t, d_c, n_c)
        rows.append(
            {
                "arm": arm,
                "subgroup": variable,
                "level": level,
                "n_arm": n_t,
                "n_reference": n_c,
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


def render_html(summary: dict[str, Any], tally: TrialTally, config: TrialConfig) -> str:
    """A self-contained HTML report: tables, survival curves, P/F bands, dose–response, forest plot."""
    import plotly.graph_objects as go
    import plotly.io as pio

    figures = [_survival_figure(tally, config, go), _pf_figure(tally, config, go)]
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
        f"<td>{_ui_text(c)}</td>"
        f"<td>{_fmt(c['risk_difference_28d'])}</td><td>{_fmt(c['logrank_p'], 3)}</td></tr>"
        for c in summary["comparisons"]
    )
    paired = "".join(
        f"<tr><td>{html.escape(c['arm'])}</td><td>{c['n']}</td><td>{_fmt(c['risk_difference_28d'], 3)} ({_fmt(c['risk_difference_28d_ci95'][0], 3)}–{_fmt(c['risk_difference_28d_ci95'][1], 3)})</td></tr>"
        for c in summary["paired_comparisons"]
    )
    power = "".join(
        f"<tr><td>{html.escape(p['arm'])}</td><td>{p['n_arm']} vs {p['n_reference']}</td><td>{_fmt(p['power'])} ({_fmt(p['power_ci95'][0])}–{_fmt(p['power_ci95'][1])})</td></tr>"
        for p in summary["power"]
    )
    pop = summary["population"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(summary["title"])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:4px 8px}}.warn{{background:#fff3cd;padding:1em;border:1px solid #e0c36b}}</style></head><body>
<h1>{html.escape(summary["title"])}</h1>
<p class="warn"><strong>{html.escape(summary["disclaimer"])}</strong></p>
<p>Model version <strong>{html.escape(summary["model_version"])}</strong>, seed <strong>{summary["seed"]}</strong>. {html.escape(summary["design"])}</p>
{_extrapolation_html(summary["dose_extrapolated"])}
<p>Parameters: {html.escape(_calibration_text(summary["calibration"]))}</p>
<p>Enrolled {pop["enrolled"]} of {pop["target"]} targeted from {pop["candidates"]} candidates (acceptance {_fmt(pop["acceptance_rate"], 3)}); solver failure rate {_fmt(summary["failure_rate"], 4)}. Shortfall: {html.escape(json.dumps(pop["shortfall"]))}.</p>
<h2>Arms (randomised allocation)</h2><table><tr><th>arm</th><th>n</th><th>28-day mortality (95 % CI)</th><th>90-day mortality</th><th>VFD to day 28 (mean)</th><th>P/F day 7 (median)</th><th>failed</th></tr>{rows}</table>
<h2>Comparisons with the reference arm</h2><table><tr><th>arm</th><th>risk ratio 28 d (95 % CI, Katz: Monte-Carlo only)</th><th>95 % uncertainty interval (with parameter uncertainty)</th><th>risk difference</th><th>log-rank p</th></tr>{comps}</table>
<p>{html.escape(UI_NOTE)}</p>
<h2>Paired digital twins</h2><table><tr><th>arm</th><th>patients</th><th>risk difference 28 d vs reference (95 % CI)</th></tr>{paired}</table>
<h2>Power</h2><p>{html.escape(summary["power_method"])}</p><table><tr><th>arm</th><th>patients (arm vs reference)</th><th>power (95 % Monte-Carlo CI)</th></tr>{power}</table>
<h2>Uncertainty</h2><p>{html.escape(summary["uncertainty"])}</p><p>{html.escape(summary["precision"]["note"])}</p>
{"".join(parts)}
<h2>Configuration</h2><pre>{html.escape(json.dumps(summary["config"], indent=2))}</pre>
</body></html>"""


def _ui_text(c: dict[str, Any]) -> str:
    """The UI cell: the interval, or why there is none."""
    ui = c.get("risk_ratio_28d_ui95")
    if not ui:
        return "none: " + html.escape(str(c.get("risk_ratio_28d_ui_reason", "")))
    note = c.get("risk_ratio_28d_ui_note")
    return f"{_fmt(ui[0])}–{_fmt(ui[1])} ({c.get('risk_ratio_28d_ui_draws')} posterior sets)" + (
        f"; {html.escape(note)}" if note else ""
    )


def _extrapolation_html(extrapolated: list[dict[str, Any]]) -> str:
    """A warning block naming every dose outside the studied range (empty if none)."""
    if not extrapolated:
        return ""
    items = "".join(
        f"<li><code>{html.escape(e['key'])}</code> = {e['dose']:g} {html.escape(e['unit'])}: studied "
        f"{e['studied_low']:g}–{e['studied_high']:g} {html.escape(e['unit'])} per administration</li>"
        for e in extrapolated
    )
    return (
        '<div class="warn" id="dose-extrapolated"><strong>Extrapolated dose.</strong> These doses lie outside '
        "every dose given in the shipped protocols and the cited trials (allow_extrapolation = true); the model's "
        f"dose-response there is untested.<ul>{items}</ul></div>"
    )


def _calibration_text(calibration: dict[str, Any]) -> str:
    if not calibration.get("used"):
        return "not calibrated (" + str(calibration.get("reason", "")) + ")."
    fitted = ", ".join(f"{k} = {v:.4g}" for k, v in calibration.get("parameters", {}).items())
    return (
        f"calibrated from {calibration.get('file')} (sha256 {str(calibration.get('sha256', ''))[:12]}): "
        f"{calibration.get('provenance', '')} Fitted: {fitted}."
    )


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _survival_figure(tally: TrialTally, config: TrialConfig, go: Any) -> Any:
    fig = go.Figure()
    for arm in config.arms:
        counts = tally.arms[arm.name]
        km = st.kaplan_meier_counts(counts.time_grid_days, counts.death_counts, counts.censored_counts)
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


def _pf_figure(tally: TrialTally, config: TrialConfig, go: Any) -> Any:
    fig = go.Figure()
    days = list(PF_DAYS)
    for arm in config.arms:
        hists = tally.arms[arm.name].pf
        # A day on which every patient of an arm has died has no P/F: a gap (NaN), not an error.
        q = np.array([[h.quantile(p) for h in hists] for p in (0.1, 0.5, 0.9)])
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
    labels = [row["label"] for row in sweep]
    mortality = np.array([np.nan if r["mortality_28d"] is None else r["mortality_28d"] for r in sweep])
    low = np.array([np.nan if r["ci_low"] is None else r["ci_low"] for r in sweep])
    high = np.array([np.nan if r["ci_high"] is None else r["ci_high"] for r in sweep])
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=mortality,
            mode="lines+markers",
            name="28-day mortality",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": high - mortality,
                "arrayminus": mortality - low,
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
    rows = [r for r in subgroups if r["risk_ratio_28d"] is not None]
    labels = [f"{r['arm']}: {r['subgroup']} = {r['level']}" for r in rows]
    rr = np.array([r["risk_ratio_28d"] for r in rows], dtype=np.float64)
    lo = np.array(
        [np.nan if r["risk_ratio_28d_ci95"][0] is None else r["risk_ratio_28d_ci95"][0] for r in rows]
    )
    hi = np.array(
        [np.nan if r["risk_ratio_28d_ci95"][1] is None else r["risk_ratio_28d_ci95"][1] for r in rows]
    )
    fig = go.Figure(
        go.Scatter(
            x=rr,
            y=labels,
            mode="markers",
            error_x={"type": "data", "symmetric": False, "array": hi - rr, "arrayminus": rr - lo},
        )
    )
    fig.add_vline(x=1.0, line_dash="dash")
    fig.update_layout(
        title="Subgroups: 28-day mortality risk ratio (95 % CI)",
        xaxis_type="log",
        xaxis_title="risk ratio",
        height=300 + 22 * len(rows),
    )
    return fig
