"""Reference solution with SciPy on the lambdified SymPy right-hand side.

Slow (tens of patients per second) but simple and independent of the fast
solvers: the yardstick for regression tests, the SBML round trip and the
benchmarks. One patient at a time; bolus doses split the integration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import sympy as sp
from scipy.integrate import solve_ivp

from stromal.model.definition import ModelDefinition

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CompiledModel:
    rhs: Callable[[FloatArray, FloatArray], list[float]]
    initial: Callable[[FloatArray], list[float]]
    observables: Callable[[FloatArray, FloatArray], list[float]]


_COMPILED: dict[str, CompiledModel] = {}


def compile_model(model: ModelDefinition) -> CompiledModel:
    """Lambdify the model once (cached per definition digest)."""
    key = model.digest()
    if key in _COMPILED:
        return _COMPILED[key]
    x, p = model.state_symbols, model.parameter_symbols
    rhs = sp.lambdify([x, p], list(model.rhs), modules="math", cse=True)
    initial = sp.lambdify([p], [sp.sympify(s.initial) for s in model.states], modules="math")
    observables = sp.lambdify([x, p], [o.expr for o in model.observables], modules="math", cse=True)
    _COMPILED[key] = CompiledModel(rhs, initial, observables)
    return _COMPILED[key]


def initial_state(model: ModelDefinition, params: FloatArray) -> FloatArray:
    return np.asarray(compile_model(model).initial(np.asarray(params, dtype=np.float64)), dtype=np.float64)


def solve_reference(
    model: ModelDefinition,
    params: FloatArray,
    t_out_h: FloatArray,
    *,
    doses: Sequence[tuple[float, int, float]] = (),
    rtol: float = 1e-8,
    atol: float = 1e-10,
    method: str = "LSODA",
) -> FloatArray:
    """States at ``t_out_h`` (shape ``(n_t, n_states)``) for one patient from t = 0.

    ``doses`` are ``(time_h, state_index, amount)`` boluses, added just after
    ``time_h`` (an output at exactly ``time_h`` shows the pre-dose state).
    """
    compiled = compile_model(model)
    p = np.asarray(params, dtype=np.float64)
    t_out = np.asarray(t_out_h, dtype=np.float64)
    y = initial_state(model, p)
    out = np.empty((t_out.size, y.size), dtype=np.float64)
    events = sorted((float(t), int(i), float(a)) for t, i, a in doses if np.isfinite(t))
    t_now = 0.0
    bounds = [t for t, _, _ in events] + [float(t_out.max(initial=0.0))]
    for k, t_end in enumerate(bounds):
        # An output exactly at a dose time belongs to the segment before the dose.
        after = t_out >= t_now if k == 0 else t_out > t_now
        mask = after & (t_out <= t_end)
        if t_end > t_now:
            sol = solve_ivp(
                lambda _t, yy: compiled.rhs(yy, p),
                (t_now, t_end),
                y,
                method=method,
                rtol=rtol,
                atol=atol,
                dense_output=True,
            )
            if not sol.success:
                raise RuntimeError(f"reference solve failed: {sol.message}")
            if mask.any():
                out[mask] = sol.sol(t_out[mask]).T
            y = sol.y[:, -1].copy()
        elif mask.any():
            out[mask] = y
        if k < len(events):
            _, index, amount = events[k]
            y[index] += amount
        t_now = t_end
    return out


def observables_at(model: ModelDefinition, states: FloatArray, params: FloatArray) -> dict[str, FloatArray]:
    """Observables for each row of ``states`` (shape ``(n_t, n_states)``)."""
    compiled = compile_model(model)
    p = np.asarray(params, dtype=np.float64)
    values = np.array([compiled.observables(row, p) for row in np.asarray(states)], dtype=np.float64)
    return {o.name: values[:, j] for j, o in enumerate(model.observables)}
