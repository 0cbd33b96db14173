"""A per-patient adaptive Rodas4 Rosenbrock solver, compiled with numba.

Rodas4 is the stiffly accurate 4th-order Rosenbrock method with an embedded
3rd-order error estimate and a 3rd-order continuous (dense) output of
Hairer & Wanner, *Solving Ordinary Differential Equations II: Stiff and
Differential-Algebraic Problems*, 2nd ed., Springer 1996, section IV.7
(doi:10.1007/978-3-642-05221-7), coefficients as in their RODAS code
(``rodas.f``, METH=1). The transformed formulation is used, so that each step
needs one LU factorisation of ``W = I/(gamma*h) - J`` and six solves:

    W k_i = f(y + sum_j a_ij k_j) + sum_j (c_ij / h) k_j,   i = 1..6
    y_new = y + sum_j a_6j k_j + k_6   (stiffly accurate; a_6j = a_5j, + k_5)
    error estimate = k_6

The model is autonomous (time does not appear in the right-hand side), so the
time-derivative terms of the general method vanish.

Each patient is integrated alone, with its own step size: a patient whose
course is quiet takes few steps, and no patient waits for the slowest one.
Failures are values (:class:`SolverStatus`), never exceptions, so a batch never aborts.

The batch driver that calls :func:`rodas4_patient` lives in the module that
:mod:`stromal.model.codegen` generates for each model, because numba can cache
compiled code only when the model's functions are reached as globals of the
calling module; :func:`rodas4_patient` is therefore inlined (``inline="always"``)
into that driver.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

from stromal.model.status import STATUS_TEXT as STATUS_TEXT
from stromal.model.status import SolverStatus

F = TypeVar("F", bound=Callable[..., Any])


# Plain-int twins for compiled code (numba kernels, CPU and CUDA, return and
# store machine integers); they are the enum's values, never other numbers.
STATUS_OK = int(SolverStatus.OK)
STATUS_MAX_STEPS = int(SolverStatus.MAX_STEPS)
STATUS_STEP_UNDERFLOW = int(SolverStatus.STEP_UNDERFLOW)
STATUS_NON_FINITE = int(SolverStatus.NON_FINITE)
STATUS_INVALID_INPUT = int(SolverStatus.INVALID_INPUT)


# Rodas4 coefficients, Hairer & Wanner (1996), RODAS (METH=1).
GAMMA = 0.25
A21 = 1.544
A31 = 0.9466785280815826
A32 = 0.2557011698983284
A41 = 3.314825187068521
A42 = 2.896124015972201
A43 = 0.9986419139977817
A51 = 1.221224509226641
A52 = 6.019134481288629
A53 = 12.53708332932087
A54 = -0.6878860361058950
C21 = -5.6688
C31 = -2.430093356833875
C32 = -0.2063599157091915
C41 = -0.1073529058151375
C42 = -9.594562251023355
C43 = -20.47028614809616
C51 = 7.496443313967647
C52 = -10.24680431464352
C53 = -33.99990352819905
C54 = 11.70890893206160
C61 = 8.083246795921522
C62 = -7.981132988064893
C63 = -31.52159432874371
C64 = 16.31930543123136
C65 = -6.058818238834054
# Dense output: y(t + s h) = (1-s) y0 + s (y1 + (1-s) (D1 + s D2)),
# D1 = sum_j H2j k_j, D2 = sum_j H3j k_j (Hairer & Wanner, CONTRO of RODAS).
H21 = 10.12623508344586
H22 = -7.487995877610167
H23 = -34.80091861555747
H24 = -7.992771707568823
H25 = 1.025137723295662
H31 = -0.6762803392801253
H32 = 6.087714651680015
H33 = 16.43084320892478
H34 = 24.76722511418386
H35 = -6.594389125716872

# Step-size controller (Hairer & Wanner 1996, IV.8, eq. 8.21 with q = 3).
SAFETY = 0.9
FAC_MIN = 0.2
FAC_MAX = 6.0


def jit(**options: Any) -> Callable[[F], F]:
    """``numba.njit`` with NumPy's error model (division by zero gives inf/NaN,
    which the solver turns into a status instead of an exception)."""
    options.setdefault("error_model", "numpy")
    return cast(Callable[[F], F], numba.njit(**options))


@jit(cache=True)
def lu_factor(a: np.ndarray, piv: np.ndarray) -> bool:
    """In-place LU factorisation with partial pivoting; False when singular."""
    n = a.shape[0]
    for k in range(n):
        p = k
        big = abs(a[k, k])
        for i in range(k + 1, n):
            v = abs(a[i, k])
            if v > big:
                big = v
                p = i
        piv[k] = p
        if big == 0.0 or not math.isfinite(big):
            return False
        if p != k:
            for j in range(n):
                tmp = a[k, j]
                a[k, j] = a[p, j]
                a[p, j] = tmp
        inv = 1.0 / a[k, k]
        for i in range(k + 1, n):
            a[i, k] *= inv
            m = a[i, k]
            if m != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= m * a[k, j]
    return True


@jit(cache=True)
def lu_solve(a: np.ndarray, piv: np.ndarray, b: np.ndarray) -> None:
    """Solve ``A x = b`` in place in ``b`` from :func:`lu_factor`'s output."""
    n = a.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(1, n):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]


@jit(cache=True)
def error_norm(err: np.ndarray, y_old: np.ndarray, y_new: np.ndarray, rtol: float, atol: float) -> float:
    """Root-mean-square of the error scaled by ``atol + rtol*max(|y_old|, |y_new|)``."""
    n = err.shape[0]
    acc = 0.0
    for i in range(n):
        sc = atol + rtol * max(abs(y_old[i]), abs(y_new[i]))
        r = err[i] / sc
        acc += r * r
    return math.sqrt(acc / n)


@jit(cache=True)
def all_finite(x: np.ndarray) -> bool:
    """True when every element is finite."""
    # An explicit loop: numba compiles it without a generator object.
    for v in x.ravel():  # noqa: SIM110
        if not math.isfinite(v):
            return False
    return True


@jit(inline="always")
def solve_stage(
    solve_sparse: Callable[[np.ndarray, np.ndarray], None],
    sparse: bool,
    w: np.ndarray,
    piv: np.ndarray,
    b: np.ndarray,
) -> None:
    """Solve ``W x = b`` in place with whichever factorisation succeeded."""
    if sparse:
        solve_sparse(w, b)
    else:
        lu_solve(w, piv, b)


@jit(inline="always")
def rodas4_patient(
    rhs: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    jac: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    lu_sparse: Callable[[np.ndarray, float], bool],
    solve_sparse: Callable[[np.ndarray, np.ndarray], None],
    y0: np.ndarray,
    p: np.ndarray,
    t_out: np.ndarray,
    dose_t: np.ndarray,
    dose_idx: np.ndarray,
    dose_amt: np.ndarray,
    rtol: float,
    atol: float,
    max_steps: int,
    y_out: np.ndarray,
) -> tuple[int, int]:
    """Integrate one patient from ``t_out[0]`` to ``t_out[-1]`` (hours).

    ``rhs(y, p, out)`` and ``jac(y, p, out)`` are numba-compiled model functions;
    ``lu_sparse(w, tiny)`` / ``solve_sparse(w, b)`` the generated sparse LU
    (see :func:`stromal.model.codegen._sparse_lu`), with the dense pivoted
    :func:`lu_factor` as fallback when a pivot is tiny.
    Doses (``dose_t`` sorted, padded with inf) add ``dose_amt`` to state
    ``dose_idx`` at exactly ``dose_t``: the solver steps onto each dose time,
    then restarts from the updated state. An output time equal to a dose time
    reports the state just after that dose (right-continuous, as SBML events
    and libRoadRunner report it). Outputs between steps come from
    the method's dense output. ``y_out`` (n_t, n_states) must arrive filled with
    NaN; rows after a failure stay NaN. Returns ``(status, attempted_steps)``.
    """
    n = y0.shape[0]
    n_out = t_out.shape[0]
    n_ev = dose_t.shape[0]
    y = y0.copy()
    y_new = np.empty(n)
    u = np.empty(n)
    f0 = np.empty(n)
    fu = np.empty(n)
    d1 = np.empty(n)
    d2 = np.empty(n)
    k = np.empty((6, n))
    jm = np.empty((n, n))
    w = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)

    t = t_out[0]
    t_end = t_out[n_out - 1]
    ev = 0
    while ev < n_ev and dose_t[ev] <= t:
        y[dose_idx[ev]] += dose_amt[ev]
        ev += 1
    next_out = 0
    while next_out < n_out and t_out[next_out] <= t:
        for j in range(n):
            y_out[next_out, j] = y[j]
        next_out += 1
    if next_out == n_out:
        return STATUS_OK, 0

    rhs(y, p, f0)
    if not all_finite(f0):
        return STATUS_NON_FINITE, 0
    # Initial step: Hairer & Wanner (1993) vol. I, II.4, first guess h = 0.01 |y|/|f|.
    d0n = 0.0
    d1n = 0.0
    for j in range(n):
        sc = atol + rtol * abs(y[j])
        d0n += (y[j] / sc) ** 2
        d1n += (f0[j] / sc) ** 2
    d0n = math.sqrt(d0n / n)
    d1n = math.sqrt(d1n / n)
    h = 1e-6 if (d0n < 1e-5 or d1n < 1e-5) else 0.01 * d0n / d1n
    h = min(h, t_end - t)

    steps = 0
    rejected_last = False
    failed_non_finite = False
    while next_out < n_out:
        t_stop = t_end
        if ev < n_ev and dose_t[ev] < t_stop:
            t_stop = dose_t[ev]
        if steps >= max_steps:
            return STATUS_MAX_STEPS, steps
        h_min = 1e-12 * max(1.0, abs(t))
        if h < h_min:
            if failed_non_finite:
                return STATUS_NON_FINITE, steps
            return STATUS_STEP_UNDERFLOW, steps
        landing = False
        if t + 1.01 * h >= t_stop:
            h = t_stop - t
            landing = True
        steps += 1

        jac(y, p, jm)
        inv_gh = 1.0 / (GAMMA * h)
        for i in range(n):
            for j in range(n):
                w[i, j] = -jm[i, j]
            w[i, i] += inv_gh
        sparse = lu_sparse(w, 1e-12 * inv_gh)
        if not sparse:
            for i in range(n):
                for j in range(n):
                    w[i, j] = -jm[i, j]
                w[i, i] += inv_gh
            if not lu_factor(w, piv):
                h *= 0.25
                rejected_last = True
                continue
        inv_h = 1.0 / h
        # Stage 1
        for j in range(n):
            k[0, j] = f0[j]
        solve_stage(solve_sparse, sparse, w, piv, k[0])
        # Stage 2
        for j in range(n):
            u[j] = y[j] + A21 * k[0, j]
        rhs(u, p, fu)
        for j in range(n):
            k[1, j] = fu[j] + inv_h * (C21 * k[0, j])
        solve_stage(solve_sparse, sparse, w, piv, k[1])
        # Stage 3
        for j in range(n):
            u[j] = y[j] + A31 * k[0, j] + A32 * k[1, j]
        rhs(u, p, fu)
        for j in range(n):
            k[2, j] = fu[j] + inv_h * (C31 * k[0, j] + C32 * k[1, j])
        solve_stage(solve_sparse, sparse, w, piv, k[2])
        # Stage 4
        for j in range(n):
            u[j] = y[j] + A41 * k[0, j] + A42 * k[1, j] + A43 * k[2, j]
        rhs(u, p, fu)
        for j in range(n):
            k[3, j] = fu[j] + inv_h * (C41 * k[0, j] + C42 * k[1, j] + C43 * k[2, j])
        solve_stage(solve_sparse, sparse, w, piv, k[3])
        # Stage 5
        for j in range(n):
            u[j] = y[j] + A51 * k[0, j] + A52 * k[1, j] + A53 * k[2, j] + A54 * k[3, j]
        rhs(u, p, fu)
        for j in range(n):
            k[4, j] = fu[j] + inv_h * (C51 * k[0, j] + C52 * k[1, j] + C53 * k[2, j] + C54 * k[3, j])
        solve_stage(solve_sparse, sparse, w, piv, k[4])
        # Stage 6
        for j in range(n):
            u[j] += k[4, j]
        rhs(u, p, fu)
        for j in range(n):
            k[5, j] = fu[j] + inv_h * (
                C61 * k[0, j] + C62 * k[1, j] + C63 * k[2, j] + C64 * k[3, j] + C65 * k[4, j]
            )
        solve_stage(solve_sparse, sparse, w, piv, k[5])
        for j in range(n):
            y_new[j] = u[j] + k[5, j]

        err = error_norm(k[5], y, y_new, rtol, atol)
        if not math.isfinite(err):
            failed_non_finite = True
            h *= 0.25
            rejected_last = True
            continue
        if err > 1.0:
            h *= max(FAC_MIN, SAFETY * err**-0.25)
            rejected_last = True
            continue

        # Accepted: fill the outputs inside (t, t + h] from the dense output.
        t_new = t_stop if landing else t + h
        # Outputs at a dose time are written after the dose (below), as in SBML.
        dose_now = landing and ev < n_ev and dose_t[ev] == t_new
        if next_out < n_out and (t_out[next_out] < t_new or (t_out[next_out] == t_new and not dose_now)):
            for j in range(n):
                d1[j] = H21 * k[0, j] + H22 * k[1, j] + H23 * k[2, j] + H24 * k[3, j] + H25 * k[4, j]
                d2[j] = H31 * k[0, j] + H32 * k[1, j] + H33 * k[2, j] + H34 * k[3, j] + H35 * k[4, j]
            while next_out < n_out and (
                t_out[next_out] < t_new or (t_out[next_out] == t_new and not dose_now)
            ):
                s = (t_out[next_out] - t) / h
                s1 = 1.0 - s
                for j in range(n):
                    y_out[next_out, j] = s1 * y[j] + s * (y_new[j] + s1 * (d1[j] + s * d2[j]))
                next_out += 1
        t = t_new
        for j in range(n):
            y[j] = y_new[j]
        while ev < n_ev and dose_t[ev] <= t:
            y[dose_idx[ev]] += dose_amt[ev]
            ev += 1
        while next_out < n_out and t_out[next_out] <= t:
            for j in range(n):
                y_out[next_out, j] = y[j]
            next_out += 1
        rhs(y, p, f0)
        if not all_finite(f0):
            return STATUS_NON_FINITE, steps
        failed_non_finite = False
        fac = min(FAC_MAX, max(FAC_MIN, SAFETY * err**-0.25)) if err > 0.0 else FAC_MAX
        if rejected_last:
            fac = min(fac, 1.0)
        h *= fac
        rejected_last = False
    return STATUS_OK, steps
