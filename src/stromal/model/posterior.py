"""Posterior ensemble of the fitted parameters (calibration with uncertainty).

``stromal calibrate --posterior`` samples the log-multipliers (fitted /
nominal) of :data:`stromal.model.calibration.FITTED` with emcee's affine-
invariant ensemble sampler (Foreman-Mackey D et al., PASP 2013;125:306-12,
doi:10.1086/670067) under a Gaussian synthetic likelihood built from the
calibration targets (Wood SN, Nature 2010;466:1102-4, doi:10.1038/nature09319):

* each target's published 95 % CI gives its standard deviation
  ``(high − low) / (2 × 1.96)``; risk ratios on the log scale; an IQR
  (``ventilation_days_survivors_median``) is taken as ±1 SD, an allowance for
  model discrepancy rather than a sampling error;
* the Monte-Carlo error of the simulated value at ``n_per_arm`` patients is
  added in quadrature (binomial for mortality, Katz for a log risk ratio);
* simulations use common random numbers (one seed, the same candidates at
  every evaluation), so the likelihood is a deterministic function of the
  parameters.

Prior: each log-multiplier is Normal(0, σ) truncated to the calibration
search box ``BOUNDS`` - centred on the parameter's nominal value (its prior
median in ``parameters.py``) with σ the larger of the parameter's own
log-normal σ and 1 (one e-fold: every free parameter is an assumption).
A parameter whose posterior draws crowd a bound of its box is reported
(``pinned``), never hidden.

The ensemble (``posterior.json``: K draws of absolute parameter values with
the model version, the targets used, seed, acceptance fraction and effective
sample size) is what a trial draws its patients across to report
``risk_ratio_28d_ui95`` beside the Monte-Carlo ``risk_ratio_28d_ci95``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from stromal.model.calibration import Target
    from stromal.model.population import Engine

# stromal.model.calibration (SciPy's optimiser, the trial machinery) is
# imported inside the functions that sample: a trial that only reads the
# installed ensemble does not pay for it.

FloatArray = npt.NDArray[np.float64]

Z_95 = 1.959963984540054

#: A draw within this distance (log units, about 10 %) of a bound of its box counts as touching it;
#: a parameter is reported as pinned when more than ``PINNED_SHARE`` of draws touch one bound.
BOUND_TOUCH_LOG = 0.1
PINNED_SHARE = 0.25

#: Likelihood of a point whose simulation has no value for a target (log units).
MISSING_LOG_LIKELIHOOD = -1e6


def posterior_file() -> Traversable:
    """``stromal/model/posterior.json`` inside the installed package (it may not exist)."""
    return resources.files("stromal.model") / "posterior.json"


def load_posterior(entry: Traversable | None = None) -> dict[str, Any] | None:
    """The installed ensemble, or ``None`` when no ``posterior.json`` is installed."""
    entry = entry or posterior_file()
    if not entry.is_file():
        return None
    data: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
    return data


def prior_sd(name: str) -> float:
    """σ of the Normal prior on ``log(fitted / nominal)`` (see the module docstring)."""
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    distribution = PARAMETERS[PARAMETER_INDEX[name]].distribution
    sigma = float(getattr(distribution, "sigma", 0.0))
    return max(sigma, 1.0)


def log_prior(x: FloatArray, names: Sequence[str]) -> float:
    """Log prior density (up to a constant) of log-multipliers ``x``; -inf outside ``BOUNDS``."""
    from stromal.model.calibration import BOUNDS

    total = 0.0
    for value, name in zip(x, names, strict=True):
        low, high = BOUNDS[name]
        if not math.log(low) <= value <= math.log(high):
            return -math.inf
        total += -0.5 * (value / prior_sd(name)) ** 2
    return total


def target_sd(target: Target, simulated: float, n_per_arm: int) -> float:
    """Standard deviation of ``target`` in the synthetic likelihood (log scale for risk ratios)."""
    if target.quantity == "risk_ratio_28d":
        published = (math.log(target.high) - math.log(target.low)) / (2 * Z_95)
        # Katz variance of a simulated log RR near a control mortality of 30 % (both arms, n each).
        p = 0.3
        mc = math.sqrt(2 * (1 - p) / (p * n_per_arm))
        return math.hypot(published, mc)
    if target.quantity.startswith("mortality_"):
        published = (target.high - target.low) / (2 * Z_95)
        p = min(max(simulated if math.isfinite(simulated) else target.value, 0.05), 0.95)
        per_grade = max(n_per_arm / 3.0, 1.0)
        return math.hypot(published, math.sqrt(p * (1 - p) / per_grade))
    if target.quantity == "ventilation_days_survivors_median":
        return (target.high - target.low) / 2
    return (target.high - target.low) / (2 * Z_95)


def log_likelihood(targets: Sequence[Target], simulated: Mapping[str, float], n_per_arm: int) -> float:
    """Gaussian synthetic log-likelihood of the simulated target values."""
    total = 0.0
    for t in targets:
        s = simulated.get(t.name, math.nan)
        if not math.isfinite(s) or (t.quantity == "risk_ratio_28d" and s <= 0):
            return MISSING_LOG_LIKELIHOOD
        sd = target_sd(t, s, n_per_arm)
        z = (math.log(s) - math.log(t.value)) / sd if t.quantity == "risk_ratio_28d" else (s - t.value) / sd
        total += -0.5 * z * z - math.log(sd)
    return total


def _start(names: Sequence[str], walkers: int, rng: np.random.Generator) -> FloatArray:
    """Walkers in a small ball around the installed point fit (or the priors' medians)."""
    from stromal.model.calibration import BOUNDS
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS, calibrated_values

    fitted = calibrated_values()
    centre = []
    for name in names:
        nominal = PARAMETERS[PARAMETER_INDEX[name]].value
        low, high = BOUNDS[name]
        m = fitted.get(name, nominal) / nominal
        centre.append(math.log(min(max(m, low * 1.1), high / 1.1)))
    ball = np.asarray(centre)[None, :] + 0.05 * rng.standard_normal((walkers, len(names)))
    for j, name in enumerate(names):
        low, high = BOUNDS[name]
        ball[:, j] = np.clip(ball[:, j], math.log(low) + 1e-3, math.log(high) - 1e-3)
    return np.asarray(ball, dtype=np.float64)


def sample_posterior(
    *,
    seed: int = 20240601,
    n_per_arm: int = 300,
    walkers: int = 16,
    steps: int = 60,
    draws: int = 40,
    time_budget_s: float = 540.0,
    engine: Engine | None = None,
    command: str = "",
) -> dict[str, Any]:
    """Run emcee on the calibration targets; return the ensemble as plain data.

    Stops after ``steps`` ensemble steps or ``time_budget_s`` seconds,
    whichever comes first. The first half of the steps run is burn-in; the
    ``draws`` draws are thinned evenly from the second half (all walkers).
    """
    import emcee

    from stromal.model.calibration import BOUNDS, FITTED, load_targets, simulate_targets
    from stromal.model.definition import MODEL_VERSION
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    started = time.perf_counter()
    names = list(FITTED)
    targets = load_targets()
    rng = np.random.default_rng(seed)
    cache: dict[bytes, tuple[float, dict[str, float]]] = {}

    def log_probability(x: FloatArray) -> float:
        lp = log_prior(x, names)
        if not math.isfinite(lp):
            return -math.inf
        key = np.round(x, 12).tobytes()
        if key not in cache:
            multipliers = dict(zip(names, np.exp(x), strict=True))
            sim = simulate_targets(targets, multipliers, n_per_arm=n_per_arm, seed=seed, engine=engine)
            cache[key] = (log_likelihood(targets, sim, n_per_arm), sim)
        return lp + cache[key][0]

    sampler = emcee.EnsembleSampler(walkers, len(names), log_probability)
    sampler.random_state = np.random.RandomState(seed).get_state()
    p0 = _start(names, walkers, rng)
    ran = 0
    for _ in sampler.sample(p0, iterations=steps):
        ran += 1
        if time.perf_counter() - started > time_budget_s:
            break
    chain = sampler.get_chain()[:ran]  # (steps, walkers, dims)
    log_prob = sampler.get_log_prob()[:ran]
    kept = chain[ran // 2 :].reshape(-1, len(names))
    kept_lp = log_prob[ran // 2 :].reshape(-1)
    pick = np.linspace(0, len(kept) - 1, min(draws, len(kept))).round().astype(int)
    pick = rng.permutation(pick)
    tau = (
        emcee.autocorr.integrated_time(chain[ran // 2 :], quiet=True)
        if ran >= 4
        else np.full(len(names), np.nan)
    )
    ess = [float(len(kept) / t) if np.isfinite(t) and t > 0 else None for t in tau]
    nominal = {n: PARAMETERS[PARAMETER_INDEX[n]].value for n in names}
    draws_out = [
        {n: float(nominal[n] * math.exp(v)) for n, v in zip(names, kept[i], strict=True)} for i in pick
    ]
    best = int(np.argmax(kept_lp))
    map_multipliers = dict(zip(names, np.exp(kept[best]), strict=True))
    map_sim = simulate_targets(targets, map_multipliers, n_per_arm=n_per_arm, seed=seed, engine=engine)
    return {
        "model_version": MODEL_VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or "stromal calibrate --posterior",
        "sampler": f"emcee {emcee.__version__} EnsembleSampler (stretch move)",
        "likelihood": "Gaussian synthetic likelihood from the targets' published 95 % CIs (IQR = ±1 SD), "
        "plus the Monte-Carlo error at n_per_arm; common random numbers",
        "prior": {
            n: {"log_multiplier_sd": prior_sd(n), "bounds_multiplier": list(BOUNDS[n]), "nominal": nominal[n]}
            for n in names
        },
        "seed": seed,
        "n_per_arm": n_per_arm,
        "walkers": walkers,
        "steps_run": ran,
        "steps_requested": steps,
        "burn_in_steps": ran // 2,
        "evaluations": len(cache),
        "seconds": round(time.perf_counter() - started, 1),
        "acceptance_fraction": float(np.mean(sampler.acceptance_fraction)),
        "autocorrelation_time_steps": [None if not np.isfinite(t) else float(t) for t in tau],
        "effective_sample_size": dict(zip(names, ess, strict=True)),
        # emcee: tau is trustworthy only from chains longer than 50 tau (autocorr.integrated_time).
        "effective_sample_size_reliable": bool(
            all(np.isfinite(t) for t in tau) and (ran - ran // 2) >= 50 * float(np.nanmax(tau))
        ),
        "targets": [
            {
                "name": t.name,
                "quantity": t.quantity,
                "value": t.value,
                "low": t.low,
                "high": t.high,
                "source": t.source,
                "simulated_at_best_draw": map_sim.get(t.name),
            }
            for t in targets
        ],
        "parameters": names,
        "summary": _summary(kept, names, nominal),
        "pinned": _pinned(kept, names),
        "draws": draws_out,
        "note": "Research model. A short chain: the effective sample size is small, and the "
        "autocorrelation time is estimated from fewer steps than emcee advises (50 x tau); the "
        "ensemble shows parameter uncertainty, it does not pin the posterior down. The validation "
        "trials (stromal/model/validation_targets) are not among the targets.",
    }


def _summary(kept: FloatArray, names: Sequence[str], nominal: Mapping[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for j, name in enumerate(names):
        q = np.quantile(kept[:, j], [0.025, 0.5, 0.975])
        out[name] = {
            "median": float(nominal[name] * math.exp(q[1])),
            "ci95": [float(nominal[name] * math.exp(q[0])), float(nominal[name] * math.exp(q[2]))],
            "median_multiplier": float(math.exp(q[1])),
            "prior_sds_from_nominal": float(q[1] / prior_sd(name)),
        }
    return out


def _pinned(kept: FloatArray, names: Sequence[str]) -> list[dict[str, Any]]:
    """Parameters whose draws crowd a bound of the search box."""
    from stromal.model.calibration import BOUNDS

    out = []
    for j, name in enumerate(names):
        low, high = (math.log(b) for b in BOUNDS[name])
        for side, bound in (("lower", low), ("upper", high)):
            share = float(np.mean(np.abs(kept[:, j] - bound) < BOUND_TOUCH_LOG))
            if share > PINNED_SHARE:
                out.append({"parameter": name, "bound": side, "share_of_draws": share})
    return out


def write_posterior(report: Mapping[str, Any], out: Path) -> None:
    """``posterior.json`` and ``posterior.md`` (the table) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "posterior.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "posterior.md").write_text(posterior_markdown(report), encoding="utf-8")


def posterior_markdown(report: Mapping[str, Any]) -> str:
    lines = [
        f"# Posterior ensemble (model {report['model_version']}, seed {report['seed']}, "
        f"n per arm {report['n_per_arm']})",
        "",
        "Research model, not a medical device.",
        "",
        f"{report['sampler']}; {report['walkers']} walkers x {report['steps_run']} steps "
        f"({report['burn_in_steps']} burn-in), {report['evaluations']} model evaluations in "
        f"{report['seconds']} s; mean acceptance fraction {report['acceptance_fraction']:.2f}; "
        f"{len(report['draws'])} draws kept. Likelihood: {report['likelihood']}.",
        "",
        "Effective sample sizes "
        + (
            "are estimated from a chain long enough (> 50 autocorrelation times)."
            if report.get("effective_sample_size_reliable")
            else "are NOT reliable: the chain is shorter than 50 autocorrelation times, so tau is underestimated and ESS "
            "overestimated; read them as upper bounds."
        ),
        "",
        "| parameter | prior median | posterior median (95 % CrI) | x prior | prior SDs | ESS |",
        "|---|---|---|---|---|---|",
    ]
    for name in report["parameters"]:
        s = report["summary"][name]
        ess = report["effective_sample_size"].get(name)
        lines.append(
            f"| {name} | {report['prior'][name]['nominal']:.4g} | {s['median']:.4g} "
            f"({s['ci95'][0]:.4g}-{s['ci95'][1]:.4g}) | {s['median_multiplier']:.3g} "
            f"| {s['prior_sds_from_nominal']:.2f} | {'-' if ess is None else f'{ess:.0f}'} |"
        )
    lines += ["", "| target | published (range) | simulated at the best draw | source |", "|---|---|---|---|"]
    for t in report["targets"]:
        sim = t["simulated_at_best_draw"]
        lines.append(
            f"| {t['name']} | {t['value']:g} ({t['low']:g}-{t['high']:g}) "
            f"| {'-' if sim is None else f'{sim:.3g}'} | {t['source']} |"
        )
    pinned = report["pinned"]
    lines += [
        "",
        "Pinned at a bound of the search box: "
        + (
            ", ".join(f"{p['parameter']} ({p['bound']}, {p['share_of_draws']:.0%} of draws)" for p in pinned)
            if pinned
            else "none."
        ),
        "",
        f"Command: `{report['command']}`. {report['note']}",
    ]
    return "\n".join(lines) + "\n"
