"""A tiny throw-away SciPy engine with the engine's call signature, for unit tests
of the trial orchestration only (integration tests use the real engine).

Five states: pathogen P, barrier damage B, edema E, lung MSC M, cumulative
death hazard H. Doses are boluses of M at their times.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from stromal.model.parameters import PARAMETER_INDEX
from stromal.model.population import Engine

STATES = ("pathogen", "barrier_damage", "alveolar_edema", "msc_lung_1e6_cells", "cumulative_death_hazard")


@dataclass(frozen=True)
class FakeDoses:
    times_h: np.ndarray
    amount: np.ndarray


@dataclass(frozen=True)
class FakeResult:
    t_h: np.ndarray
    y: np.ndarray
    status: np.ndarray
    observables: dict[str, np.ndarray]
    model_version: str = "fake"

    def state(self, name: str) -> np.ndarray:
        return self.y[:, :, STATES.index(name)]


def _rhs(y: np.ndarray, k_pg: np.ndarray) -> np.ndarray:
    p, b, e, m, _ = y.reshape(5, -1)
    effect = m / (m + 50.0)
    return np.concatenate(
        [
            k_pg * p * (1 - p / 4.0) - 0.3 * p,
            0.4 * p / (1 + p) * (1 - b) - 0.02 * (1 + 2.0 * effect) * b,
            0.2 * b * (1 - e) - 0.05 * e,
            -np.log(2) / 24.0 * m,
            0.01 * e**4 / (e**4 + 0.6**4),
        ]
    )


def fake_simulate(
    params: np.ndarray, t_out_h: np.ndarray, *, doses: Any = None, y0: np.ndarray | None = None, **_: Any
) -> FakeResult:
    n = len(params)
    k_pg = params[:, PARAMETER_INDEX["k_pg"]]
    state = np.zeros((5, n))
    if y0 is None:
        state[0] = params[:, PARAMETER_INDEX["insult_p0"]]
    else:
        state = y0.T.copy()
    events = sorted(
        {float(t) for t in (doses.times_h.ravel() if doses is not None else []) if np.isfinite(t)}
    )
    out = np.empty((n, len(t_out_h), 5))
    edges = [float(t_out_h[0]), *[t for t in events if t_out_h[0] < t < t_out_h[-1]], float(t_out_h[-1])]
    for lo, hi in itertools.pairwise(edges):
        if doses is not None:
            hit = doses.times_h == lo
            state[3] += (doses.amount * hit).sum(axis=1)
        mask = (t_out_h >= lo) & (t_out_h <= hi)
        sol = solve_ivp(
            lambda t, y: _rhs(y, k_pg),
            (lo, hi),
            state.ravel(),
            t_eval=t_out_h[mask],
            method="LSODA",
            rtol=1e-6,
            atol=1e-9,
        )
        if not sol.success:
            out[:] = np.nan
            return FakeResult(np.asarray(t_out_h), out, np.full(n, 2, np.int8), {})
        out[:, mask, :] = sol.y.reshape(5, n, -1).transpose(1, 2, 0)
        state = sol.y[:, -1].reshape(5, n)
    fio2 = params[:, PARAMETER_INDEX["fio2"]]
    pao2 = 100.0 * (1 - 0.85 * out[:, :, 2])
    observables = {
        "pf_ratio": pao2 / fio2[:, None],
        "fvc_pct_predicted": 100.0 - 10.0 * out[:, :, 1],
        "dlco_pct_predicted": 100.0 - 20.0 * out[:, :, 1],
    }
    status = np.where(params[:, PARAMETER_INDEX["k_pg"]] > 0, 0, 4).astype(np.int8)
    return FakeResult(np.asarray(t_out_h), out, status, observables)


def fake_doses_for_arm(
    arm: Any,
    *,
    weight_kg: np.ndarray,
    height_cm: np.ndarray,
    sex_male: np.ndarray,
    params: np.ndarray,
    enrolment_h: float = 0.0,
) -> FakeDoses:
    n = len(weight_kg)
    per_dose = (arm.dose_cells_per_kg or 0.0) * weight_kg / 1e6 * (arm.viability_pct or 100) / 100
    if arm.dose_particles:
        per_dose = np.full(n, arm.dose_particles / 1e8)
    times = np.array([enrolment_h + 24.0 * d for d in arm.days])
    return FakeDoses(np.tile(times, (n, 1)), np.tile(per_dose[:, None], (1, len(times))))


def fake_no_doses(n: int) -> FakeDoses:
    return FakeDoses(np.full((n, 1), np.inf), np.zeros((n, 1)))


FAKE_ENGINE = Engine(fake_simulate, fake_doses_for_arm, fake_no_doses)
