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


def ventilation_days(
    t_h: FloatArray,
    pf_ratio: FloatArray,
    death_day: FloatArray,
    *,
    threshold_mmhg: float,
    horizon_days: float = VFD_HORIZON_DAYS,
) -> FloatArray:
    """Days from enrolment to final liberation from ventilation, within the horizon.

    Ventilated while P/F ≤ ``threshold_mmhg`` (this model's definition; see
    ``AnalysisConfig``). Liberation is the first output time after the last
    ventilated one; a patient still ventilated at the horizon (or at death)
    counts the whole time alive up to it.
    """
    inside = t_h <= horizon_days * HOURS_PER_DAY
    t = t_h[inside]
    alive = t[None, :] / HOURS_PER_DAY < death_day[:, None]
    ventilated = (pf_ratio[:, inside] <= threshold_mmhg) & alive
    any_vent = ventilated.any(axis=1)
    last = len(t) - 1 - np.argmax(ventilated[:, ::-1], axis=1)
    next_index = np.minimum(last + 1, len(t) - 1)
    out = np.where(any_vent, t[next_index] / HOURS_PER_DAY, 0.0)
    return np.minimum(out, np.minimum(death_day, horizon_days))


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


def six_minute_walk_m(predicted_m: FloatArray, dlco_pct_predicted: FloatArray) -> FloatArray:
    """Modelled 6-minute walk distance (m): Enright predicted × DLCO % predicted / 100.

    An assumption of this model (exercise capacity limited by gas transfer,
    capped at 100 % of predicted). It ignores the ICU-acquired weakness that
    keeps 6MWD at 76 % of predicted 5 years after ARDS despite near-normal
    lung function (Herridge MS et al., N Engl J Med 2011;364:1293-304), so it
    overstates long-term walking distance; read it as the pulmonary limit only.
    """
    return predicted_m * np.minimum(dlco_pct_predicted, 100.0) / 100.0
