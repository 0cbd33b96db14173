"""Small models in the ``ModelDefinition`` shape, for the solver's own tests.

They are independent of the full Stromal model so that solver tests do not
change when the model does: the Reynolds 2006 core (model-reference §1,
Reynolds A et al., J Theor Biol 2006;242:220-236, doi:10.1016/j.jtbi.2006.02.016)
and linear systems with exact solutions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy


@dataclass(frozen=True)
class State:
    name: str
    unit: str
    description: str
    initial: Any


@dataclass(frozen=True)
class Observable:
    name: str
    unit: str
    description: str
    expr: Any


@dataclass(frozen=True)
class ToyModel:
    name: str
    version: str
    states: tuple[State, ...]
    state_symbols: tuple[Any, ...]
    parameter_symbols: tuple[Any, ...]
    rhs: tuple[Any, ...]
    observables: tuple[Observable, ...]
    nominal: np.ndarray = field(compare=False)
    dose_targets: Mapping[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        text = repr((self.name, self.version, self.rhs, [s.initial for s in self.states], self.observables))
        return hashlib.sha256(text.encode()).hexdigest()


REYNOLDS_VALUES = {
    "k_pg": 0.3,
    "k_pm": 0.6,
    "k_mp": 0.01,
    "s_m": 0.005,
    "mu_m": 0.002,
    "P_inf": 20.0,
    "k_pn": 1.8,
    "k_np": 0.1,
    "k_nn": 0.01,
    "s_nr": 0.08,
    "mu_nr": 0.12,
    "mu_n": 0.05,
    "k_nd": 0.02,
    "k_dn": 0.35,
    "x_dn": 0.06,
    "mu_d": 0.02,
    "C_inf": 0.28,
    "s_c": 0.0125,
    "k_cn": 0.04,
    "k_cnd": 48.0,
    "mu_c": 0.1,
    "P0": 1.0,
}


def reynolds_core() -> ToyModel:
    """The 4-state Reynolds 2006 model; ``P0`` (insult size) is a parameter."""
    P, N, D, CA = sympy.symbols("P N D CA")
    sym = {name: sympy.Symbol(name) for name in REYNOLDS_VALUES}
    s = sym

    def f(v: Any) -> Any:
        return v / (1 + (CA / s["C_inf"]) ** 2)

    R = f(s["k_nn"] * N + s["k_np"] * P + s["k_nd"] * D)
    fN = f(N)
    rhs = (
        s["k_pg"] * P * (1 - P / s["P_inf"])
        - s["k_pm"] * s["s_m"] * P / (s["mu_m"] + s["k_mp"] * P)
        - s["k_pn"] * fN * P,
        s["s_nr"] * R / (s["mu_nr"] + R) - s["mu_n"] * N,
        s["k_dn"] * fN**6 / (s["x_dn"] ** 6 + fN**6) - s["mu_d"] * D,
        s["s_c"] + s["k_cn"] * f(N + s["k_cnd"] * D) / (1 + f(N + s["k_cnd"] * D)) - s["mu_c"] * CA,
    )
    states = (
        State("P", "1e6 cells/cc", "pathogen", s["P0"]),
        State("N", "1e6 cells/cc", "activated phagocytes", sympy.Integer(0)),
        State("D", "1", "tissue damage", sympy.Integer(0)),
        State("CA", "1", "anti-inflammatory mediator", s["s_c"] / s["mu_c"]),
    )
    return ToyModel(
        name="reynolds_core_test",
        version="test-1",
        states=states,
        state_symbols=(P, N, D, CA),
        parameter_symbols=tuple(sym.values()),
        rhs=rhs,
        observables=(
            Observable("damage", "1", "tissue damage", D),
            Observable("log_pathogen", "1", "log(1 + P)", sympy.log(1 + P)),
        ),
        nominal=np.array(list(REYNOLDS_VALUES.values())),
        dose_targets={"iv": "P"},
    )


def linear_stiff() -> ToyModel:
    """y' = A y with eigenvalues -k1 and -k2 (k2 >> k1): exact solution by matrix exponential."""
    y1, y2 = sympy.symbols("y1 y2")
    k1, k2, c = sympy.symbols("k1 k2 c")
    rhs = (-k1 * y1 + c * y2, -k2 * y2)
    states = (State("y1", "1", "slow", sympy.Integer(1)), State("y2", "1", "fast", sympy.Integer(1)))
    return ToyModel(
        name="linear_stiff",
        version="test-1",
        states=states,
        state_symbols=(y1, y2),
        parameter_symbols=(k1, k2, c),
        rhs=rhs,
        observables=(Observable("total", "1", "y1 + y2", y1 + y2),),
        nominal=np.array([0.1, 1000.0, 50.0]),
        dose_targets={"iv": "y1"},
    )


def linear_stiff_exact(params: np.ndarray, y0: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Exact solution of :func:`linear_stiff`: (n_t, 2)."""
    k1, k2, c = params
    y2 = y0[1] * np.exp(-k2 * t)
    y1 = y0[0] * np.exp(-k1 * t) + c * y0[1] / (k2 - k1) * (np.exp(-k1 * t) - np.exp(-k2 * t))
    return np.stack([y1, y2], axis=1)
