"""Rodas4 batch solver: order, exactness, agreement with SciPy, batch = per patient.

Reference tolerances are stated next to each assertion. All solves go through
the generated, cached code (the first run compiles for about a minute), the
same path production uses.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from stromal.model import codegen, solver
from stromal.model.engine import simulate_cohort
from stromal.model.solver import lu_factor, lu_solve
from stromal.model.status import SolverStatus
from tests.model.solver_models import linear_stiff, linear_stiff_exact, reynolds_core

REYNOLDS = reynolds_core()
LINEAR = linear_stiff()


def test_lu_factor_and_solve_match_numpy() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(7, 7)) + 7 * np.eye(7)
    b = rng.normal(size=7)
    lu = a.copy()
    piv = np.empty(7, dtype=np.int64)
    assert lu_factor(lu, piv)
    x = b.copy()
    lu_solve(lu, piv, x)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)


def test_lu_factor_reports_a_singular_matrix() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert not lu_factor(a, np.empty(2, dtype=np.int64))


def test_it_solves_a_stiff_linear_system_to_its_exact_solution() -> None:
    t = np.linspace(0.0, 50.0, 101)
    res = simulate_cohort(LINEAR.nominal[None, :], t, model=LINEAR, rtol=1e-8, atol=1e-12)
    exact = linear_stiff_exact(LINEAR.nominal, np.array([1.0, 1.0]), t)
    assert res.status[0] == SolverStatus.OK
    # Stiffness ratio 1e4; relative error at rtol 1e-8 stays far below 1e-6.
    np.testing.assert_allclose(res.y[0, :, 0], exact[:, 0], rtol=1e-6)
    np.testing.assert_allclose(res.y[0, :, 1], exact[:, 1], rtol=1e-6, atol=1e-12)


def test_its_global_error_falls_with_tolerance_like_a_fourth_order_method() -> None:
    """Tolerance proportionality: for a p-th order method with error-per-step
    control, global error ~ tol^(p/(p+1)) = tol^0.8 for Rodas4 (Hairer &
    Wanner II, IV.8). Over two decades of tol the slope must be in [0.6, 1.1]."""
    t = np.array([0.0, 5.0])
    p = np.array([[1.0, 3.0, 0.5]])  # mildly stiff so the step size follows accuracy, not stability
    exact = linear_stiff_exact(p[0], np.array([1.0, 1.0]), t)[-1]
    errors = []
    tols = [1e-5, 1e-6, 1e-7]
    for tol in tols:
        res = simulate_cohort(p, t, model=LINEAR, rtol=tol, atol=tol * 1e-3)
        errors.append(np.max(np.abs(res.y[0, -1] - exact) / np.abs(exact)))
    slope = np.polyfit(np.log10(tols), np.log10(errors), 1)[0]
    assert 0.6 <= slope <= 1.1, (errors, slope)


def _rodas4_one_step(z: complex) -> tuple[complex, complex]:
    """One Rodas4 step of y' = lam*y from y = 1 with h*lam = z, written out from
    the coefficients in stromal.model.solver: (y_new, error estimate)."""
    g = solver.GAMMA
    w = 1.0 / g - z  # W*h, with every k scaled by 1/h
    k1 = z / w
    k2 = (z * (1 + solver.A21 * k1) + solver.C21 * k1) / w
    k3 = (z * (1 + solver.A31 * k1 + solver.A32 * k2) + solver.C31 * k1 + solver.C32 * k2) / w
    u4 = 1 + solver.A41 * k1 + solver.A42 * k2 + solver.A43 * k3
    k4 = (z * u4 + solver.C41 * k1 + solver.C42 * k2 + solver.C43 * k3) / w
    u5 = 1 + solver.A51 * k1 + solver.A52 * k2 + solver.A53 * k3 + solver.A54 * k4
    k5 = (z * u5 + solver.C51 * k1 + solver.C52 * k2 + solver.C53 * k3 + solver.C54 * k4) / w
    u6 = u5 + k5
    c6 = solver.C61 * k1 + solver.C62 * k2 + solver.C63 * k3 + solver.C64 * k4 + solver.C65 * k5
    k6 = (z * u6 + c6) / w
    return u6 + k6, k6


def test_its_coefficients_give_a_fourth_order_step_with_a_third_order_estimate() -> None:
    """On y' = lam*y the local error of an order-p step is O(z^(p+1)): halving z
    divides it by 2^5 = 32 for the solution and 2^4 = 16 for the embedded estimate."""
    local = []
    estimate = []
    for z in (-0.04, -0.02, -0.01):
        y1, err = _rodas4_one_step(z)
        local.append(abs(y1 - np.exp(z)))
        estimate.append(abs(err))
    assert 28 < local[0] / local[1] < 36 and 28 < local[1] / local[2] < 36, local
    assert 14 < estimate[0] / estimate[1] < 18 and 14 < estimate[1] / estimate[2] < 18, estimate


def test_it_is_l_stable_on_very_stiff_modes() -> None:
    """Stiffly accurate: the step damps infinitely stiff modes (R(-inf) = 0)."""
    y1, _ = _rodas4_one_step(-1e12)
    assert abs(y1) < 1e-9


def test_output_times_do_not_change_the_steps_and_dense_output_is_accurate() -> None:
    p = LINEAR.nominal[None, :]
    sparse = simulate_cohort(p, np.array([0.0, 50.0]), model=LINEAR)
    t = np.linspace(0.0, 50.0, 1001)
    dense = simulate_cohort(p, t, model=LINEAR)
    np.testing.assert_array_equal(sparse.y[0, -1], dense.y[0, -1])
    assert sparse.n_steps[0] == dense.n_steps[0]
    exact = linear_stiff_exact(LINEAR.nominal, np.array([1.0, 1.0]), t)
    # Slow state between steps: 3rd-order interpolant, relative error < 1e-4 at rtol 1e-6.
    np.testing.assert_allclose(dense.y[0, :, 0], exact[:, 0], rtol=1e-4)


def _scipy_reynolds(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    compiled = codegen.load(REYNOLDS)
    y0 = np.empty((1, compiled.n_states))
    compiled.module.initial_batch(p[None, :], y0)

    def f(_t: float, y: np.ndarray) -> np.ndarray:
        out = np.empty_like(y)
        compiled.module.rhs_one(np.ascontiguousarray(y), p, out)
        return out

    def jac(_t: float, y: np.ndarray) -> np.ndarray:
        out = np.empty((y.size, y.size))
        compiled.module.jac_one(np.ascontiguousarray(y), p, out)
        return out

    sol = solve_ivp(f, (t[0], t[-1]), y0[0], method="Radau", t_eval=t, jac=jac, rtol=1e-10, atol=1e-14)
    assert sol.success
    return np.asarray(sol.y.T)


@pytest.mark.parametrize(("k_pg", "p0"), [(0.3, 1.0), (0.6, 1.0), (0.3, 5.0)])
def test_it_agrees_with_scipy_radau_at_tight_tolerance(k_pg: float, p0: float) -> None:
    p = REYNOLDS.nominal.copy()
    p[0] = k_pg
    p[-1] = p0
    t = np.linspace(0.0, 500.0, 51)
    ref = _scipy_reynolds(p, t)
    res = simulate_cohort(p[None, :], t, model=REYNOLDS)
    assert res.status[0] == SolverStatus.OK
    # States that matter (above 1e-6 of their peak): relative error < 1e-4 at rtol 1e-6.
    scale = np.max(np.abs(ref), axis=0)
    mask = np.abs(ref) > 1e-6 * scale
    rel = np.abs(res.y[0][mask] - ref[mask]) / np.abs(ref[mask])
    assert rel.max() < 1e-4, rel.max()


def test_the_batch_result_equals_the_per_patient_result() -> None:
    rng = np.random.default_rng(11)
    n = 80  # above the parallel threshold: the parallel driver runs
    p = np.tile(REYNOLDS.nominal, (n, 1))
    p[:, 0] = rng.uniform(0.25, 0.65, n)
    p[:, -1] = rng.uniform(0.5, 6.0, n)
    t = np.linspace(0.0, 300.0, 31)
    batch = simulate_cohort(p, t, model=REYNOLDS)
    for i in range(0, n, 9):
        one = simulate_cohort(p[i : i + 1], t, model=REYNOLDS)
        np.testing.assert_array_equal(one.y[0], batch.y[i])
        assert one.n_steps[0] == batch.n_steps[i]


def test_each_patient_takes_its_own_number_of_steps() -> None:
    p = np.tile(REYNOLDS.nominal, (2, 1))
    p[1, -1] = 5.0  # aseptic course: more dynamics
    res = simulate_cohort(p, np.linspace(0, 500, 11), model=REYNOLDS)
    assert res.n_steps[0] != res.n_steps[1]


def test_it_returns_max_steps_status_instead_of_raising() -> None:
    p = np.tile(REYNOLDS.nominal, (2, 1))
    res = simulate_cohort(p, np.linspace(0, 500, 11), model=REYNOLDS, max_steps=5)
    assert list(res.status) == [SolverStatus.MAX_STEPS, SolverStatus.MAX_STEPS]
    assert np.isnan(res.y[0, -1]).all()
