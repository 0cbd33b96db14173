"""Per-patient forecast: the calibrated virtual population conditioned on one patient's values.

Method (importance weighting of a reference population, a kernel form of approximate Bayesian
computation; Beaumont MA, Zhang W, Balding DJ, Genetics 2002;162:2025-35,
doi:10.1093/genetics/162.4.2025):

1. A broad reference population (:func:`reference_population`: every Berlin grade and aetiology,
   ages 18-95, enrolled 0-96 h after onset) is enrolled once with ``generate_population`` and the
   installed calibration; its values at enrolment (P/F, SpO2, IL-6 from the model's observables;
   age, sex, weight, aetiology, hours since onset from the parameters) are kept.
2. Each virtual patient gets the weight ``w_i = Π_k K((x_ik − x_k) / h_k)`` over the patient's
   recorded values ``x_k`` (Gaussian kernel ``K``; exact match for sex and aetiology). The
   bandwidths :data:`BANDWIDTHS` are a modelling choice of this module, about the size of a
   clinically unimportant difference or a repeat-measurement spread; they are not taken from a
   publication. A value the patient lacks is not used (and the forecast says so).
3. The effective sample size ``ESS = (Σw)² / Σw²`` (Kish) says how many virtual patients the
   forecast really rests on, and ``Σw`` (weights are 1 for an exact match) how many are close at
   all. Below :data:`MIN_ESS` or :data:`MIN_NEIGHBOURS` the model has no comparable virtual
   patients and no number is given.
4. :data:`N_DRAWS` patients are drawn with probability ∝ w (systematic resampling) and simulated
   from enrolment with and without the arm, with the same parameters (a paired comparison).

Outputs: P/F to day 28 among survivors (each virtual patient counted with its survival
probability at that day), survival to day 90 (the model's survival probability ``exp(−H(t))``
averaged), FVC and DLCO (% predicted) at one year among survivors. Bands: 50 % and 90 % of the
predictive distribution for P/F, FVC and DLCO; for survival, 50 % and 90 % intervals of a Bayesian
bootstrap (Rubin DB, Ann Stat 1981;9:130-4, doi:10.1214/aos/1176345338) over the drawn patients.
CRP is not a quantity of the model: it is never used for weighting (the forecast says so).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from stromal.clinical.protocol import Arm
from stromal.model.population import VirtualPopulation
from stromal.model.status import SolverStatus

FloatArray = npt.NDArray[np.float64]

#: Kernel bandwidths (units of each value). A modelling choice (see the module docstring).
BANDWIDTHS: Mapping[str, float] = {
    "pf_ratio_mmhg": 30.0,
    "spo2_pct": 3.0,
    "age_years": 10.0,
    "weight_kg": 15.0,
    "hours_since_onset": 24.0,
    # IL-6 spans orders of magnitude: the kernel works on log10(pg/mL).
    "log10_il6_pg_ml": 0.3,
}
#: Below this effective sample size the forecast gives no number.
MIN_ESS = 20.0
#: ... nor below this many exact-match equivalents (:func:`neighbour_count`). Both thresholds are
#: a choice of this module (about the fewest virtual patients a band of 5-95 % can rest on).
MIN_NEIGHBOURS = 2.0
#: Virtual patients drawn (∝ weight) and simulated under each arm.
N_DRAWS = 120
#: Reference population size and seed (fixed: every forecast of a model version uses the same one).
REFERENCE_N = 6000
REFERENCE_SEED = 20261130
#: Bayesian-bootstrap replicates for the survival bands.
N_BOOTSTRAP = 400
PF_DAYS = tuple(range(0, 29))
SURVIVAL_DAYS = tuple(range(0, 91))
ONE_YEAR_DAYS = 365.0
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

NO_COMPARABLE = "the model has no comparable virtual patients"


@dataclass(frozen=True)
class PatientValues:
    """One patient's values at the Day-1 examination (``None``: not recorded).

    ``aetiology`` is one of ``viral``, ``sepsis``, ``trauma`` (the model's aetiologies).
    """

    pf_ratio_mmhg: float
    age_years: float
    sex_male: bool
    weight_kg: float
    aetiology: str | None = None
    spo2_pct: float | None = None
    hours_since_onset: float | None = None
    il6_pg_ml: float | None = None
    crp_mg_l: float | None = None


@dataclass(frozen=True)
class ReferencePopulation:
    """The enrolled reference population and its values at enrolment (rows aligned)."""

    population: VirtualPopulation
    values: Mapping[str, FloatArray]  # pf_ratio_mmhg, spo2_pct, log10_il6_pg_ml, age_years, ...
    sex_male: npt.NDArray[np.bool_]
    aetiology: npt.NDArray[np.str_]
    model_version: str
    seed: int


@dataclass(frozen=True)
class Band:
    """Quantiles 5, 25, 50, 75 and 95 % at each of ``days``; None where nothing is known."""

    days: tuple[float, ...]
    q05: list[float | None]
    q25: list[float | None]
    q50: list[float | None]
    q75: list[float | None]
    q95: list[float | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": list(self.days),
            "q05": self.q05,
            "q25": self.q25,
            "q50": self.q50,
            "q75": self.q75,
            "q95": self.q95,
        }


@dataclass(frozen=True)
class Forecast:
    """A forecast for one patient: per arm name, P/F, survival, FVC and DLCO bands."""

    ess: float
    neighbours: float
    n_reference: int
    comparable: bool
    used: tuple[str, ...]
    not_used: tuple[str, ...]
    model_version: str
    arms: Mapping[str, Mapping[str, Band]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ess": round(self.ess, 1),
            "neighbours": round(self.neighbours, 2),
            "min_neighbours": MIN_NEIGHBOURS,
            "n_reference": self.n_reference,
            "comparable": self.comparable,
            "used": list(self.used),
            "not_used": list(self.not_used),
            "model_version": self.model_version,
            "min_ess": MIN_ESS,
            "arms": {a: {k: b.as_dict() for k, b in bands.items()} for a, bands in self.arms.items()},
        }


def reference_config() -> Any:
    """The broad enrolment of the reference population (``PopulationConfig``)."""
    from stromal.model.trial_config import PopulationConfig

    return PopulationConfig(
        n_per_arm=REFERENCE_N,
        severity={"mild": 0.3, "moderate": 0.4, "severe": 0.3},
        aetiology={"viral": 0.4, "sepsis": 0.4, "trauma": 0.2},
        age_years=(18.0, 95.0),
        enrolment_delay_h=(0.0, 96.0),
    )


def reference_population(n: int = REFERENCE_N, seed: int = REFERENCE_SEED) -> ReferencePopulation:
    """Enrol the reference population and read its values at enrolment (tens of seconds for 2000)."""
    from stromal.model.engine import simulate_cohort
    from stromal.model.parameters import PARAMETER_INDEX
    from stromal.model.population import generate_population

    population = generate_population(n, reference_config(), np.random.default_rng(seed))
    at_enrolment = simulate_cohort(population.params, np.array([0.0]), y0=population.y0)
    obs = at_enrolment.observables
    col = population.params
    il6 = np.asarray(obs["il6_pg_ml"], dtype=np.float64)[:, 0]
    values = {
        "pf_ratio_mmhg": np.asarray(obs["pf_ratio"], dtype=np.float64)[:, 0],
        "spo2_pct": np.asarray(obs["spo2_pct"], dtype=np.float64)[:, 0],
        "log10_il6_pg_ml": np.log10(np.maximum(il6, 1e-3)),
        "age_years": col[:, PARAMETER_INDEX["age_years"]],
        "weight_kg": col[:, PARAMETER_INDEX["weight_kg"]],
        "hours_since_onset": col[:, PARAMETER_INDEX["enrolment_time_h"]] - population.onset_h,
    }
    return ReferencePopulation(
        population=population,
        values=values,
        sex_male=col[:, PARAMETER_INDEX["sex_male"]] > 0.5,
        aetiology=population.aetiology,
        model_version=str(at_enrolment.model_version),
        seed=seed,
    )


def importance_weights(
    patient: PatientValues, reference: ReferencePopulation
) -> tuple[FloatArray, tuple[str, ...], tuple[str, ...]]:
    """(weights (n,), values used, values not used) of the reference patients for ``patient``."""
    targets: dict[str, float | None] = {
        "pf_ratio_mmhg": patient.pf_ratio_mmhg,
        "spo2_pct": patient.spo2_pct,
        "age_years": patient.age_years,
        "weight_kg": patient.weight_kg,
        "hours_since_onset": patient.hours_since_onset,
        "log10_il6_pg_ml": math.log10(patient.il6_pg_ml)
        if patient.il6_pg_ml is not None and patient.il6_pg_ml > 0
        else None,
    }
    log_w = np.zeros(reference.population.n)
    used: list[str] = []
    not_used: list[str] = []
    for name, target in targets.items():
        if target is None:
            not_used.append(name)
            continue
        z = (reference.values[name] - target) / BANDWIDTHS[name]
        log_w -= 0.5 * z * z
        used.append(name)
    log_w = np.where(reference.sex_male == patient.sex_male, log_w, -np.inf)
    used.append("sex")
    if patient.aetiology is not None:
        log_w = np.where(reference.aetiology == patient.aetiology, log_w, -np.inf)
        used.append("aetiology")
    else:
        not_used.append("aetiology")
    not_used.append("crp_mg_l (not a quantity of the model)")
    # Not rescaled to the best match: a kernel weight of 1 is an exact match, so the sum of the
    # weights counts the close virtual patients (see :func:`neighbour_count`).
    return np.exp(log_w), tuple(used), tuple(not_used)


def effective_sample_size(weights: FloatArray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (0 for no weight)."""
    total = float(np.sum(weights))
    squares = float(np.sum(weights * weights))
    return total * total / squares if squares > 0 else 0.0


def neighbour_count(weights: FloatArray) -> float:
    """``Σw`` of unscaled kernel weights: how many virtual patients are as close as an exact match.

    The ESS alone cannot see a patient far from every virtual patient when several are about
    equally far (their weights are alike); this count can.
    """
    return float(np.sum(weights))


def systematic_draws(weights: FloatArray, n: int, rng: np.random.Generator) -> npt.NDArray[np.intp]:
    """``n`` indices drawn ∝ ``weights`` by systematic resampling (low variance)."""
    cumulative = np.cumsum(weights / np.sum(weights))
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(cumulative, positions), len(weights) - 1).astype(np.intp)


def _weighted_quantiles(values: FloatArray, weights: FloatArray) -> list[float | None]:
    ok = np.isfinite(values) & (weights > 0)
    if not np.any(ok):
        return [None] * len(QUANTILES)
    order = np.argsort(values[ok])
    v, w = values[ok][order], weights[ok][order]
    cdf = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return [round(float(np.interp(q, cdf, v)), 3) for q in QUANTILES]


def _band(days: tuple[float, ...], rows: list[list[float | None]]) -> Band:
    columns: list[list[float | None]] = [[row[j] for row in rows] for j in range(len(QUANTILES))]
    return Band(days, *columns)


def forecast_patient(
    patient: PatientValues,
    arms: tuple[Arm, ...],
    reference: ReferencePopulation,
    *,
    seed: int = 0,
    n_draws: int = N_DRAWS,
) -> Forecast:
    """Condition ``reference`` on ``patient`` and simulate the drawn virtual patients under each arm.

    ``arms``: the arms to compare (a control arm, no route, for "without"). Outside the
    population's support (ESS < :data:`MIN_ESS` or fewer than :data:`MIN_NEIGHBOURS`) nothing is simulated and ``comparable`` is False.
    """
    weights, used, not_used = importance_weights(patient, reference)
    ess = effective_sample_size(weights)
    neighbours = neighbour_count(weights)
    base = Forecast(ess, neighbours, reference.population.n, False, used, not_used, reference.model_version)
    if ess < MIN_ESS or neighbours < MIN_NEIGHBOURS:
        return base
    rng = np.random.default_rng(seed)
    rows = systematic_draws(weights, n_draws, rng)
    bootstrap = rng.dirichlet(np.ones(len(rows)), N_BOOTSTRAP)
    out: dict[str, dict[str, Band]] = {}
    version = reference.model_version
    for arm in arms:
        bands, version = _simulate_arm(arm, reference.population, rows, bootstrap)
        out[arm.name] = bands
    return Forecast(ess, neighbours, reference.population.n, True, used, not_used, version, out)


def _arm_doses(arm: Arm, params: FloatArray) -> Any:
    """The dose events of ``arm`` for patients ``params`` (one row each), enrolled at hour 0."""
    from stromal.model.dosing import dose_events_for_arm, no_doses  # type: ignore[import-untyped,unused-ignore]
    from stromal.model.parameters import PARAMETER_INDEX

    if arm.is_control:
        return no_doses(params.shape[0])
    return dose_events_for_arm(
        arm,
        weight_kg=params[:, PARAMETER_INDEX["weight_kg"]],
        height_cm=params[:, PARAMETER_INDEX["height_cm"]],
        sex_male=params[:, PARAMETER_INDEX["sex_male"]],
        params=params,
        enrolment_h=0.0,
    )


def _simulate_arm(
    arm: Arm, population: VirtualPopulation, rows: npt.NDArray[np.intp], bootstrap: FloatArray
) -> tuple[dict[str, Band], str]:
    from stromal.model.engine import simulate_cohort

    params = population.params[rows]
    days = np.unique(np.concatenate([np.array(SURVIVAL_DAYS, dtype=float), [ONE_YEAR_DAYS]]))
    t_h = days * 24.0
    doses = _arm_doses(arm, params)
    result = simulate_cohort(params, t_h, doses=doses, y0=population.y0[rows])
    ok = np.asarray(result.status) == SolverStatus.OK
    hazard = np.asarray(result.state("cumulative_death_hazard"), dtype=np.float64)
    # Survival from enrolment: the hazard accumulated before it is the population's, not the forecast's.
    survival = np.exp(-(hazard - hazard[:, :1]))
    survival[~ok] = np.nan
    pf = np.asarray(result.observables["pf_ratio"], dtype=np.float64)
    index = {d: int(np.searchsorted(days, d)) for d in (*SURVIVAL_DAYS, ONE_YEAR_DAYS)}
    pf_rows = [_weighted_quantiles(pf[:, index[d]], np.nan_to_num(survival[:, index[d]])) for d in PF_DAYS]
    surv_rows: list[list[float | None]] = []
    for d in SURVIVAL_DAYS:
        s = survival[:, index[d]]
        good = np.isfinite(s)
        if not np.any(good):
            surv_rows.append([None] * len(QUANTILES))
            continue
        w = bootstrap[:, good]
        replicates = (w @ s[good]) / np.sum(w, axis=1)
        surv_rows.append([round(float(q), 4) for q in np.quantile(replicates, QUANTILES)])
    bands = {"pf_ratio_mmhg": _band(PF_DAYS, pf_rows), "survival": _band(SURVIVAL_DAYS, surv_rows)}
    year = index[ONE_YEAR_DAYS]
    alive = np.nan_to_num(survival[:, year])
    for name, key in (("fvc_pct_predicted", "fvc_pct_1y"), ("dlco_pct_predicted", "dlco_pct_1y")):
        if name in result.observables:
            values = np.asarray(result.observables[name], dtype=np.float64)[:, year]
            bands[key] = _band((ONE_YEAR_DAYS,), [_weighted_quantiles(values, alive)])
    return bands, str(result.model_version)


#: The day the registry check compares mortality at.
CHECK_DAY = 90


def reference_mortality(reference: ReferencePopulation, arm: Arm, *, day: int = CHECK_DAY) -> FloatArray:
    """(n,) each reference patient's probability of death by ``day`` under ``arm`` (NaN: failed solve)."""
    from stromal.model.engine import simulate_cohort

    population = reference.population
    params = population.params
    t_h = np.array([0.0, day * 24.0])
    doses = _arm_doses(arm, params)
    result = simulate_cohort(params, t_h, doses=doses, y0=population.y0)
    hazard = np.asarray(result.state("cumulative_death_hazard"), dtype=np.float64)
    risk = 1.0 - np.exp(-(hazard[:, 1] - hazard[:, 0]))
    return np.where(np.asarray(result.status) == SolverStatus.OK, risk, np.nan)


def predicted_risk(
    patient: PatientValues, reference: ReferencePopulation, mortality: FloatArray
) -> tuple[float | None, float, float]:
    """(predicted risk of death, ESS, close matches) for ``patient``; risk None outside the support."""
    weights, _, _ = importance_weights(patient, reference)
    weights = np.where(np.isfinite(mortality), weights, 0.0)
    ess, neighbours = effective_sample_size(weights), neighbour_count(weights)
    if ess < MIN_ESS or neighbours < MIN_NEIGHBOURS:
        return None, ess, neighbours
    risk = float(np.sum(weights * np.nan_to_num(mortality)) / np.sum(weights))
    return risk, ess, neighbours
