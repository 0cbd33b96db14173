"""Baseline solvers shared by the benchmark scripts (not a benchmark itself).

- libRoadRunner (CVODE BDF on LLVM-compiled code) integrating the project's
  own SBML export (:func:`stromal.model.sbml.to_sbml`), one patient after
  another: parameters and initial state are set per patient, doses are SBML
  events;
- SciPy ``solve_ivp`` (Radau, BDF or LSODA) on a lambdified NumPy right-hand
  side with its analytic Jacobian, integrating from dose to dose.

An output at a dose time is the post-dose state in both, as in the engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

Dose = tuple[float, int, float]  # (time h, state index, amount)

_RR: Any = None


def rr_setup(sbml_text: str, rtol: float, atol: float, state_ids: list[str], param_ids: list[str]) -> None:
    """Load and compile the SBML once (per process) with the given tolerances."""
    global _RR
    import roadrunner

    rr = roadrunner.RoadRunner(sbml_text)
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.maximum_num_steps = 100_000
    rr.timeCourseSelections = ["time", *state_ids]
    ids = list(rr.model.getGlobalParameterIds())
    index = np.array([ids.index(x) for x in [*param_ids, *state_ids]], dtype=np.int32)
    _RR = (rr, index)


def rr_run(args: tuple[np.ndarray, np.ndarray, float, int]) -> np.ndarray:
    """(params (n, p), y0 (n, s), end h, points) -> states (n, points, s), one patient at a time."""
    params, y0, t_end, n_points = args
    rr, index = _RR
    out = np.empty((params.shape[0], n_points, y0.shape[1]))
    for i in range(params.shape[0]):
        rr.reset()
        rr.model.setGlobalParameterValues(index, np.concatenate([params[i], y0[i]]))
        res = rr.simulate(0.0, t_end, n_points)
        out[i] = np.asarray(res)[:, 1:]
    return out


def sbml_text(model: Any, doses: Sequence[Dose]) -> str:
    """The project's SBML export of ``model`` with ``doses`` as events."""
    from stromal.model import sbml

    return str(sbml.to_sbml(model, doses=list(doses)))


def scipy_run(
    model: Any,
    params: np.ndarray,
    y0: np.ndarray,
    t_out: np.ndarray,
    doses: Sequence[Dose],
    *,
    method: str,
    rtol: float,
    atol: float,
) -> np.ndarray:
    """States (n, len(t_out), s) from ``solve_ivp`` between doses (same doses for every patient)."""
    import sympy
    from scipy.integrate import solve_ivp

    f = sympy.lambdify([model.state_symbols, model.parameter_symbols], list(model.rhs), "numpy")
    jac_expr = sympy.Matrix(model.rhs).jacobian(sympy.Matrix(model.state_symbols))
    jac = sympy.lambdify([model.state_symbols, model.parameter_symbols], jac_expr, "numpy")
    out = np.full((params.shape[0], t_out.size, y0.shape[1]), np.nan)
    times = sorted({t for t, _, _ in doses if t_out[0] < t < t_out[-1]})
    bounds = [float(t_out[0]), *times, float(t_out[-1])]
    for i in range(params.shape[0]):
        p = params[i]
        y = y0[i].copy()
        out[i, 0] = y
        for a, b in itertools.pairwise(bounds):
            wanted = np.flatnonzero((t_out > a) & (t_out <= b))
            t_eval = np.union1d(t_out[wanted], [b])
            sol = solve_ivp(
                lambda _t, yy, p=p: np.asarray(f(yy, p), dtype=float),
                (a, b),
                y,
                method=method,
                t_eval=t_eval,
                rtol=rtol,
                atol=atol,
                **(
                    {}
                    if method == "RK45"
                    else {"jac": lambda _t, yy, p=p: np.asarray(jac(yy, p), dtype=float)}
                ),
            )
            out[i, wanted] = sol.y.T[np.searchsorted(t_eval, t_out[wanted])]
            y = sol.y[:, -1].copy()
            if b < t_out[-1]:
                for t, target, amount in doses:
                    if t == b:
                        y[target] += amount
                out[i, t_out == b] = y  # an output at a dose time follows the dose (SBML semantics)
    return out
