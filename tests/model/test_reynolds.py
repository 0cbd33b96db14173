"""The Reynolds 2006 core reproduces its three published outcome classes over
500 h (model-reference §1), alone and embedded in the full model with no
treatment. Reference values from a published implementation run with SciPy
LSODA; tolerances are stated per assertion."""

import numpy as np
import pytest

from stromal.model.definition import MODEL, reynolds_core
from stromal.model.parameters import PARAMETER_INDEX, nominal_parameters
from stromal.model.reference import solve_reference

CORE = reynolds_core()


def _core_params(k_pg: float, p0: float) -> np.ndarray:
    p = nominal_parameters()[: len(CORE.parameters)].copy()
    p[CORE.parameter_index("k_pg")] = k_pg
    p[CORE.parameter_index("insult_p0")] = p0
    return p


def _final(k_pg: float, p0: float) -> np.ndarray:
    final: np.ndarray = solve_reference(CORE, _core_params(k_pg, p0), np.array([500.0]))[-1]
    return final


def test_a_small_insult_with_slow_growth_resolves() -> None:
    P, N, D, _ = _final(0.3, 1.0)
    assert abs(P) < 1e-4
    assert N < 1e-3
    assert pytest.approx(0.0007, abs=2e-4) == D


def test_fast_pathogen_growth_gives_the_septic_state() -> None:
    P, _, D, _ = _final(0.6, 1.0)
    assert pytest.approx(4.9, abs=0.1) == P
    assert pytest.approx(17.5, abs=0.1) == D


def test_a_large_insult_gives_the_aseptic_state() -> None:
    P, N, D, _ = _final(0.3, 5.0)
    assert abs(P) < 1e-4
    assert pytest.approx(0.64, abs=0.01) == N
    assert pytest.approx(17.4, abs=0.1) == D


def test_the_core_starts_from_the_published_initial_state() -> None:
    y0 = solve_reference(CORE, _core_params(0.3, 1.0), np.array([0.0]))[0]
    assert y0 == pytest.approx([1.0, 0.0, 0.0, 0.125])


@pytest.mark.parametrize(("k_pg", "p0"), [(0.3, 1.0), (0.6, 1.0), (0.3, 5.0)])
def test_the_full_model_without_treatment_contains_the_core_unchanged(k_pg: float, p0: float) -> None:
    p = nominal_parameters()
    p[PARAMETER_INDEX["k_pg"]] = k_pg
    p[PARAMETER_INDEX["insult_p0"]] = p0
    t = np.linspace(0.0, 500.0, 11)
    full = solve_reference(MODEL, p, t)[:, :4]
    core = solve_reference(CORE, _core_params(k_pg, p0), t)
    np.testing.assert_allclose(full, core, rtol=1e-5, atol=1e-7)
