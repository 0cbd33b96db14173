"""Trial endpoints from simulated trajectories (pure functions over arrays).

Time grid ``t_h`` is in hours from enrolment (day 0). Arrays of trajectories
are ``(n_patients, n_t)``. A patient who has died has no later measurements
(NaN), as in a real trial.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

HOURS_PER_DAY = 24.0
VFD_HORIZON_DAYS = 28.0

#: Days at which P/F is reported (day 0 = enrolment).
PF_DAYS = tuple(range(0, 29))

#: Long-term follow-up visits (days): 6 months, 1 year, 5 years
#: (Herridge MS et al., N Engl J Med 2011;364:1293-304, doi:10.1056/NEJMoa1011802).
LONG_TERM_DAYS = {"6m": 182.0, "1y": 365.0, "5y": 1826.0}


def output_grid_h(days: int, *, long_term: bool) -> FloatArray:
    """Output times (h): every 4 h to day 28, daily to ``days``, then long-term visits.

    4-hourly output resolves death and liberation times to well under a day
    over the ventilator-free-day horizon; daily output suffices after it.
    """
    early = np.arange(0.0, min(days, VFD_HORIZON_DAYS) * HOURS_PER_DAY + 1e-9, 4.0)
    daily = np.arange(0.0, days + 1e-9, 1.0) * HOURS_PER_DAY
    points: list[FloatArray] = [early, daily, np.array([VFD_HORIZON_DAYS * HOURS_PER_DAY])]
    if long_term:
        points.append(np.array(list(LONG_TERM_DAYS.values())) * HOURS_PER_DAY)
    return np.unique(np.concatenate(points)).astype(np.float64)


def death_time_days(t_h: FloatArray, cumulative_hazard: FloatArray, threshold: FloatArray) -> FloatArray:
    """Time of death (days) or ``inf`` for a survivor over the grid.

    A patient dies when the hazard accumulated since enrolment,
    ``H(t) − H(0)``, first reaches their own exponential threshold
    ``E = −log U`` (U uniform per patient): the standard way to draw an event
    time from a time-varying hazard (inverse-transform sampling, e.g.
    Bender R et al., Stat Med 2005;24:1713–23, doi:10.1002/sim.2059).
    Linear interpolation between output times.
    """
    h = cumulative_hazard - cumulative_hazard[:, :1]
    crossed = h >= threshold[:, None]
    any_crossed = crossed.any(axis=1)
    first = np.argmax(crossed, axis=1)
    out = np.full(h.shape[0], np.inf)
    rows = np.nonzero(any_crossed)[0]
    k = first[rows]
    k0 = np.maximum(k - 1, 0)
    h0, h1 = h[rows, k0], h[rows, k]
    t0, t1 = t_h[k0], t_h[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(h1 > h0, (threshold[rows] - h0) / (h1 - h0), 1.0)
    out[rows] = (t0 + np.clip(frac, 0.0, 1.0) * (t1 - t0)) / HOURS_PER_DAY
    return out


#: Weaning-readiness oxygenation: P/F >= 250 mmHg, the ART protocol's
#: readiness criterion ("PaO2/FiO2 >= 250; consider weaning if >= 150";
#: Cavalcanti AB et al., Trials 2012;13:153, doi:10.1186/1745-6215-13-153,
#: table 3), inside the 150-300 mmHg range of the ACCP/AARC/SCCM task force
#: (MacIntyre NR et al., Chest 2001;120:375S-95S, doi:10.1378/chest.120.6_suppl.375S)
#: and above the P/F >= 150 equivalent of "SaO2 > 90 % on FiO2 <= 0.4" (Boles
#: JM et al., Eur Respir J 2007;29:1033-56, doi:10.1183/09031936.00010206; the
#: ARDSNet weaning screen is FiO2 <= 0.40 with PEEP <= 8, N Engl J Med
#: 2000;342:1301-8). The upper half of the range is an assumption: the model
#: has no sedation, shock or weakness, which also delay liberation, and holds
#: FiO2 fixed. Sensitivity (same population): 150 mmHg shortens mild-ARDS
#: ventilation to about a day after enrolment.
WEANING_PF_MMHG = 250.0

#: Liberation counts once unassisted breathing lasts 48 consecutive hours
#: (ARDSNet ARMA 2000 definition used for ventilator-free days).
LIBERATION_SUSTAINED_H = 48.0


def ventilation_days(
    t_h: FloatArray,
    pf_ratio: FloatArray,
    death_day: FloatArray,
    *,
    threshold_mmhg: float = WEANING_PF_MMHG,
    horizon_days: float = VFD_HORIZON_DAYS,
    sustained_h: float = LIBERATION_SUSTAINED_H,
) -> FloatArray:
    """Days on the ventilator from enrolment (day 0) to the horizon.

    Every enrolled patient is ventilated at enrolment (Berlin ARDS needs
    PEEP >= 5 cmH2O). The model has no PEEP, sedation or haemodynamics, so
    readiness is oxygenation alone: P/F at the patient's FiO2 at or above
    ``threshold_mmhg`` (default ``WEANING_PF_MMHG``). A period off the
    ventilator counts as liberation only if it lasts ``sustained_h`` (48 h,
    ARDSNet 2000); a shorter one is a failed extubation and counts as
    ventilated, and a later fall below the threshold is re-ventilation, as in
    Schoenfeld DA, Bernard GR, Crit Care Med 2002;30:1772-7. Time after death
    is not counted. Each output interval [t_k, t_k+1) takes the state at t_k.
    """
    inside = t_h <= horizon_days * HOURS_PER_DAY
    t = t_h[inside]
    n, m = pf_ratio.shape[0], len(t)
    ready = pf_ratio[:, inside] >= threshold_mmhg
    ready[:, 0] = False  # ventilated at enrolment
    horizon_h = horizon_days * HOURS_PER_DAY
    # Runs of readiness, found on the rows laid end to end with a closing
    # "not ready" column (time = horizon) so no run crosses two patients.
    flat = np.concatenate([ready, np.zeros((n, 1), dtype=bool)], axis=1).ravel()
    times = np.tile(np.append(t, horizon_h), n)
    closing = np.zeros((n, m + 1), dtype=bool)
    closing[:, m] = True
    closing_flat = closing.ravel()
    previous = np.concatenate([[False], flat[:-1]])
    starts = np.nonzero(flat & ~previous)[0]
    ends = np.nonzero(~flat & previous)[0]  # first index after each run
    # A run shorter than sustained_h that ends before the horizon is a failed
    # extubation: those hours count as ventilated.
    failed = ~closing_flat[ends] & (times[ends] - times[starts] < sustained_h)
    marks = np.zeros(flat.size + 1, dtype=np.int64)
    np.add.at(marks, starts[failed], 1)
    np.add.at(marks, ends[failed], -1)
    refilled = np.cumsum(marks[:-1]).reshape(n, m + 1)[:, :m] > 0
    ventilated = ~ready | refilled
    edges = np.append(t, horizon_h)
    dt_h = np.diff(edges)
    death_h = np.asarray(death_day, dtype=np.float64)[:, None] * HOURS_PER_DAY
    alive_h = np.clip(death_h - edges[None, :-1], 0.0, dt_h[None, :])
    return np.asarray((ventilated * alive_h).sum(axis=1) / HOURS_PER_DAY, dtype=np.float64)


def ventilator_free_days(
    vent_days: FloatArray, death_day: FloatArray, horizon_days: float = VFD_HORIZON_DAYS
) -> FloatArray:
    """Ventilator-free days to day 28; 0 for a patient who dies by day 28.

    Schoenfeld DA, Bernard GR, Crit Care Med 2002;30:1772–7,
    doi:10.1097/00003246-200208000-00016.
    """
    return np.where(death_day <= horizon_days, 0.0, np.maximum(horizon_days - vent_days, 0.0))


def value_at_days(
    t_h: FloatArray, values: FloatArray, days: tuple[float, ...], death_day: FloatArray
) -> FloatArray:
    """``values`` at whole output days, NaN once the patient has died. Shape (n, len(days))."""
    index = np.searchsorted(t_h, np.asarray(days) * HOURS_PER_DAY)
    index = np.minimum(index, len(t_h) - 1)
    out = values[:, index].astype(np.float64)
    out[death_day[:, None] <= np.asarray(days)[None, :]] = np.nan
    return out


def six_minute_walk_predicted_m(
    age_years: FloatArray, height_cm: FloatArray, weight_kg: FloatArray, sex_male: FloatArray
) -> FloatArray:
    """Predicted 6-minute walk distance (m) for healthy adults.

    Enright PL, Sherrill DL, Am J Respir Crit Care Med 1998;158:1384–7,
    doi:10.1164/ajrccm.158.5.9710086: men 7.57·height − 5.02·age − 1.76·weight − 309;
    women 2.11·height − 2.29·weight − 5.78·age + 667.
    """
    men = 7.57 * height_cm - 5.02 * age_years - 1.76 * weight_kg - 309.0
    women = 2.11 * height_cm - 2.29 * weight_kg - 5.78 * age_years + 667.0
    return np.where(sex_male > 0.5, men, women)


#: Median 6MWD of ARDS survivors 5 years on, as a fraction of predicted
#: (Herridge MS et al., N Engl J Med 2011;364:1293-304, doi:10.1056/NEJMoa1011802:
#: 436 m, 76 % of predicted, with near-normal lung function).
SURVIVOR_WALK_FRACTION = 0.76


def six_minute_walk_m(
    predicted_m: FloatArray, dlco_pct_predicted: FloatArray, capacity_fraction: FloatArray | None = None
) -> FloatArray:
    """Modelled 6-minute walk distance (m) of an ARDS survivor, shape of the inputs.

    predicted (Enright) × capacity × sqrt(min(DLCO %, 100) / 100). The
    capacity is the model observable ``walk_capacity_fraction``: what
    ICU-acquired weakness leaves of the predicted distance (a persistent
    deficit times a slowly recovering one; survivors were limited by muscle
    weakness and fatigue rather than by the lung: Herridge MS et al., N Engl J
    Med 2003;348:683-93, doi:10.1056/NEJMoa022450, and 2011;364:1293-304,
    doi:10.1056/NEJMoa1011802, 6MWD 76 % of predicted at 5 years with
    near-normal lung function). Without it the 5-year fraction
    ``SURVIVOR_WALK_FRACTION`` is used. A DLCO deficit lowers the distance
    with an assumed square-root elasticity. The targets it is checked against
    are in ``stromal/model/calibration_targets/long_term.toml``.
    """
    gas_transfer = np.sqrt(np.clip(dlco_pct_predicted, 0.0, 100.0) / 100.0)
    capacity = SURVIVOR_WALK_FRACTION if capacity_fraction is None else np.clip(capacity_fraction, 0.0, 1.0)
    return np.asarray(predicted_m * capacity * gas_transfer, dtype=np.float64)
