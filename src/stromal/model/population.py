"""Virtual populations: sample patients, simulate to enrolment, accept or reject.

A virtual patient is one row of model parameters (covariates age, sex,
height, weight and FiO2 are parameters too) drawn with
:func:`stromal.model.parameters.sample_parameters` for its aetiology. Each
candidate is simulated from the insult (t = 0) for up to
``onset_window_h`` hours; ARDS onset is the first hour with P/F ≤ 300 mmHg
(Berlin: within one week of the insult); enrolment is ``enrolment_delay_h``
later (whole hours; drawn uniformly per candidate when a range is given),
where the Berlin grade is read from P/F with
:func:`stromal.clinical.berlin.berlin_severity`. A candidate is rejected if
it never reaches ARDS, dies or resolves (P/F > 300) before enrolment, has a
P/F at enrolment outside ``pf_enrolment_mmhg``, or
falls in a (aetiology × severity) cell whose quota is full: acceptance–
rejection to match a target mix, as in Allen RJ, Rieger TR, Musante CJ,
CPT Pharmacometrics Syst Pharmacol 2016;5:140–6, doi:10.1002/psp4.12063.
Cell quotas are the product of the target marginals (severity and aetiology
assumed independent at enrolment, an assumption stated in every report).

The state at enrolment becomes the initial state of the trial simulation,
whose time 0 is enrolment (the model is autonomous, so restarting there is
exact). A candidate whose solve fails is counted, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import numpy.typing as npt

from stromal.clinical.berlin import berlin_severity
from stromal.model.trial_config import AETIOLOGIES, SEVERITIES, PopulationConfig

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Engine:
    """The engine functions a trial calls (the real ones by default, see :func:`real_engine`)."""

    simulate: Callable[..., Any]  # simulate_cohort(params, t_out_h, *, doses=None, y0=None)
    dose_events_for_arm: Callable[..., Any]
    no_doses: Callable[[int], Any]


def real_engine() -> Engine:
    """``stromal.model.engine.simulate_cohort`` and ``stromal.model.dosing``."""
    from stromal.model.dosing import dose_events_for_arm, no_doses  # type: ignore[import-untyped,unused-ignore]
    from stromal.model.engine import simulate_cohort

    return Engine(simulate_cohort, dose_events_for_arm, no_doses)


#: P/F at or below which a candidate has ARDS-level hypoxaemia (Berlin, Ranieri 2012).
ARDS_PF_MMHG = 300.0


@dataclass(frozen=True)
class VirtualPopulation:
    """Enrolled virtual patients (rows aligned across every array)."""

    params: FloatArray  # (n, n_params), enrolment_time_h set to the simulated enrolment
    y0: FloatArray  # (n, n_states) state at enrolment
    aetiology: npt.NDArray[np.str_]
    severity: npt.NDArray[np.str_]
    pf_enrolment_mmhg: FloatArray
    onset_h: FloatArray
    n_candidates: int
    n_failed: int  # candidates whose pre-enrolment solve failed
    rejected: Mapping[str, int] = field(default_factory=dict)
    shortfall: Mapping[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.severity)

    @property
    def acceptance_rate(self) -> float:
        return self.n / self.n_candidates if self.n_candidates else math.nan

    @property
    def failure_rate(self) -> float:
        return self.n_failed / self.n_candidates if self.n_candidates else math.nan


def cell_quotas(
    n: int, severity: Mapping[str, float], aetiology: Mapping[str, float]
) -> dict[tuple[str, str], int]:
    """Whole-patient quotas per (aetiology, severity) cell summing to ``n``.

    Largest-remainder (Hamilton) rounding of n × p(aetiology) × p(severity).
    """
    cells = [(a, s) for a in AETIOLOGIES for s in SEVERITIES]
    exact = np.array([n * aetiology.get(a, 0.0) * severity.get(s, 0.0) for a, s in cells])
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: n - int(base.sum())]] += 1
    return {cell: int(q) for cell, q in zip(cells, base, strict=True)}


def calibrated_file() -> Traversable:
    """``stromal/model/calibrated.toml`` inside the installed package (it may not exist)."""
    return resources.files("stromal.model") / "calibrated.toml"


def calibrated_overrides(entry: Traversable | None = None) -> dict[str, float]:
    """Fitted values from ``calibrated.toml`` (empty if none is installed)."""
    import tomllib

    if entry is None:
        from stromal.model.parameters import calibrated_values

        return calibrated_values()
    if not entry.is_file():
        return {}
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in data.get("parameters", {}).items()}


def calibration_provenance(requested: bool = True, entry: Traversable | None = None) -> dict[str, Any]:
    """Whether a trial used calibrated parameters, and where they came from (for every report).

    ``calibrated.toml`` is written by ``stromal calibrate --install``; its
    header comment records when, on which model version, seed and sample
    size it was fitted. The report shows that header, the fitted values and
    the file's SHA-256, so a reader can tell which fit produced the numbers.
    """
    import hashlib

    if not requested:
        return {"used": False, "reason": "population.calibrated = false: the uncalibrated priors were used"}
    entry = entry or calibrated_file()
    if not entry.is_file():
        return {"used": False, "reason": "no calibrated.toml is installed: the uncalibrated priors were used"}
    text = entry.read_text(encoding="utf-8")
    header = " ".join(
        line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#") and line.strip("# ")
    )
    fitted = calibrated_overrides(entry)
    return {
        "used": bool(fitted),
        "file": "stromal/model/calibrated.toml",
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "provenance": header,
        "parameters": fitted,
        **({} if fitted else {"reason": "calibrated.toml lists no parameters"}),
    }


def apply_calibration(params: FloatArray, fitted: Mapping[str, float]) -> FloatArray:
    """Move each fitted parameter's population to its calibrated value.

    The column is scaled by fitted / nominal, so a log-normal prior keeps
    its spread around the new median and a fixed parameter takes the value.
    """
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    out = params.copy()
    for name, value in fitted.items():
        j = PARAMETER_INDEX[name]
        nominal = PARAMETERS[j].value
        out[:, j] = out[:, j] * (value / nominal) if nominal != 0 else value
    return out


def _truncate_age(rng: np.random.Generator, params: FloatArray, age_years: tuple[float, float]) -> None:
    """Redraw ages outside the target range from the model's own age prior."""
    from stromal.model.parameters import PARAMETER_INDEX, PARAMETERS

    j = PARAMETER_INDEX["age_years"]
    low, high = age_years
    prior = PARAMETERS[j].distribution
    bad = (params[:, j] < low) | (params[:, j] > high)
    for _ in range(1000):
        if not bad.any():
            return
        params[bad, j] = prior.sample(rng, int(bad.sum()))
        bad = (params[:, j] < low) | (params[:, j] > high)
    # A prior that (almost) never falls in the range: use the range uniformly.
    params[bad, j] = rng.uniform(low, high, int(bad.sum()))


@dataclass
class _Screen:
    """Pre-enrolment outcome of one batch of candidates."""

    ok: npt.NDArray[np.bool_]
    eligible: npt.NDArray[np.bool_]
    reason: list[str]
    severity: list[str | None]
    pf: FloatArray
    onset_h: FloatArray
    delay_h: FloatArray
    enrol_index: npt.NDArray[np.int64]
    y: FloatArray


def screen_candidates(
    params: FloatArray, config: PopulationConfig, engine: Engine, rng: np.random.Generator
) -> _Screen:
    """Simulate candidates from the insult and find onset, enrolment and grade."""
    low_h, high_h = config.enrolment_delay_h
    t_h = np.arange(0.0, config.onset_window_h + high_h + 1.0, 1.0)
    result = engine.simulate(params, t_h)
    pf = np.asarray(result.observables["pf_ratio"], dtype=np.float64)
    hazard = result.state("cumulative_death_hazard")
    n = len(params)
    ok = np.asarray(result.status) == 0
    # Skip t = 0: PaO2 starts at a lower bound of its quasi-steady value and
    # reaches it within minutes, so P/F at the insult itself is not a measurement.
    window = (t_h <= config.onset_window_h) & (t_h >= 1.0)
    hypoxaemic = (pf[:, window] <= ARDS_PF_MMHG) & ok[:, None]
    has_onset = hypoxaemic.any(axis=1)
    onset_index = np.argmax(hypoxaemic, axis=1) + int(np.argmax(window))  # index into t_h
    # Whole hours (the screening grid is hourly); one value unless a range is given.
    delay = (
        np.full(n, round(low_h), dtype=np.int64)
        if low_h == high_h
        else rng.integers(round(low_h), round(high_h) + 1, n)
    )
    enrol_index = np.minimum(onset_index + delay, len(t_h) - 1)
    rows = np.arange(n)
    pf_enrol = pf[rows, enrol_index]
    # Death before enrolment: the accumulated hazard against an exponential draw
    # (P(dead) = 1 - exp(-H)); survivors restart with a fresh draw at enrolment,
    # which is exact because the exponential threshold is memoryless.
    died = hazard[rows, enrol_index] - hazard[:, 0] >= rng.exponential(1.0, n)
    pf_low, pf_high = config.pf_enrolment_mmhg
    reasons: list[str] = []
    severities: list[str | None] = []
    for i in range(n):
        grade = berlin_severity(float(pf_enrol[i])) if ok[i] and math.isfinite(pf_enrol[i]) else None
        if not ok[i]:
            reasons.append("solver_failed")
        elif not has_onset[i]:
            reasons.append("no_ards_in_window")
        elif died[i]:
            reasons.append("died_before_enrolment")
        elif grade is None:
            reasons.append("resolved_before_enrolment")
        elif not pf_low <= pf_enrol[i] <= pf_high:
            reasons.append("pf_outside_enrolment_range")
        else:
            reasons.append("")
        severities.append(grade)
    eligible = np.array([r == "" for r in reasons], dtype=bool)
    return _Screen(
        ok=ok,
        eligible=eligible,
        reason=reasons,
        severity=severities,
        pf=pf_enrol,
        onset_h=t_h[onset_index],
        delay_h=delay.astype(np.float64),
        enrol_index=enrol_index.astype(np.int64),
        y=result.y[rows, enrol_index, :],
    )


def generate_population(
    n: int,
    config: PopulationConfig,
    rng: np.random.Generator,
    *,
    engine: Engine | None = None,
    batch_min: int = 64,
) -> VirtualPopulation:
    """Enrol ``n`` virtual patients matching ``config``'s target mix.

    Candidates are drawn in batches per aetiology until every quota is full or
    ``max_candidates_factor`` × quota candidates have been tried; an unfilled
    cell is reported in ``shortfall`` (never silently padded).
    """
    from stromal.model.parameters import PARAMETER_INDEX, sample_parameters

    engine = engine or real_engine()
    fitted = calibrated_overrides() if config.calibrated else {}
    quotas = cell_quotas(n, config.severity, config.aetiology)
    accepted: list[tuple[str, str, FloatArray, FloatArray, float, float]] = []
    rejected: dict[str, int] = {}
    n_candidates = n_failed = 0
    shortfall: dict[str, int] = {}
    enrol_col = PARAMETER_INDEX["enrolment_time_h"]
    for aetiology in AETIOLOGIES:
        remaining = {s: quotas[(aetiology, s)] for s in SEVERITIES}
        target = sum(remaining.values())
        if target == 0:
            continue
        tried, rate = 0, 0.3
        while sum(remaining.values()) > 0 and tried < config.max_candidates_factor * target:
            size = int(min(4096, max(batch_min, 1.5 * sum(remaining.values()) / max(rate, 0.02))))
            params = sample_parameters(rng, size, aetiology=aetiology)
            _truncate_age(rng, params, config.age_years)
            if fitted:
                params = apply_calibration(params, fitted)
            screen = screen_candidates(params, config, engine, rng)
            tried += size
            n_candidates += size
            n_failed += int((~screen.ok).sum())
            taken = 0
            for i in range(size):
                if not screen.eligible[i]:
                    rejected[screen.reason[i]] = rejected.get(screen.reason[i], 0) + 1
                    continue
                grade = screen.severity[i]
                assert grade is not None
                if remaining[grade] == 0:
                    rejected["quota_full"] = rejected.get("quota_full", 0) + 1
                    continue
                remaining[grade] -= 1
                taken += 1
                row = params[i].copy()
                row[enrol_col] = float(screen.onset_h[i] + screen.delay_h[i])
                accepted.append(
                    (aetiology, grade, row, screen.y[i], float(screen.pf[i]), float(screen.onset_h[i]))
                )
            rate = max(taken / size, 0.02)
        for s, left in remaining.items():
            if left:
                shortfall[f"{aetiology}/{s}"] = left
    n_params = len(PARAMETER_INDEX)
    params_out = np.array([a[2] for a in accepted]) if accepted else np.empty((0, n_params))
    y0_out = np.array([a[3] for a in accepted]) if accepted else np.empty((0, 0))
    return VirtualPopulation(
        params=params_out,
        y0=y0_out,
        aetiology=np.array([a[0] for a in accepted], dtype=str),
        severity=np.array([a[1] for a in accepted], dtype=str),
        pf_enrolment_mmhg=np.array([a[4] for a in accepted], dtype=np.float64),
        onset_h=np.array([a[5] for a in accepted], dtype=np.float64),
        n_candidates=n_candidates,
        n_failed=n_failed,
        rejected=rejected,
        shortfall=shortfall,
    )
