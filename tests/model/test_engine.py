"""simulate_cohort: doses, observables, statuses and input validation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from stromal.model import gpu
from stromal.model.engine import CohortResult, simulate_cohort, warm_up
from stromal.model.status import SolverStatus
from tests.model.solver_models import reynolds_core

MODEL = reynolds_core()
T = np.linspace(0.0, 200.0, 21)


@dataclass(frozen=True)
class Doses:
    """Same fields as ``stromal.model.dosing.DoseEvents``."""

    times_h: np.ndarray
    state_index: np.ndarray
    amount: np.ndarray


def _cohort(n: int) -> np.ndarray:
    return np.tile(MODEL.nominal, (n, 1))


def test_it_reports_states_observables_and_the_model_version() -> None:
    res = simulate_cohort(_cohort(2), T, model=MODEL)
    assert isinstance(res, CohortResult)
    assert res.y.shape == (2, T.size, 4)
    assert list(res.status) == [SolverStatus.OK, SolverStatus.OK]
    assert res.model_version == "test-1"
    np.testing.assert_array_equal(res.observables["damage"], res.state("D"))
    np.testing.assert_allclose(
        res.observables["log_pathogen"], np.log1p(res.state("P")), rtol=1e-12, atol=1e-15
    )
    assert res.failure_rate == 0.0


def test_the_initial_state_comes_from_the_parameters() -> None:
    p = _cohort(1)
    p[0, -1] = 3.5  # P0
    res = simulate_cohort(p, T, model=MODEL)
    np.testing.assert_allclose(res.y[0, 0], [3.5, 0.0, 0.0, 0.125])


def test_a_dose_is_added_at_its_time_and_an_output_at_that_time_follows_it() -> None:
    p = _cohort(2)
    doses = Doses(
        times_h=np.array([[50.0, np.inf], [np.inf, np.inf]]),
        state_index=np.zeros((2, 2), dtype=np.int64),
        amount=np.array([[2.0, 0.0], [0.0, 0.0]]),
    )
    t = np.array([0.0, 49.999999, 50.0, 100.0])
    res = simulate_cohort(p, t, doses=doses, model=MODEL)
    assert list(res.status) == [SolverStatus.OK, SolverStatus.OK]
    # Before the dose both patients agree (to the tolerance: the dosed one
    # steps onto t = 50 h, the other steps over it) ...
    np.testing.assert_allclose(res.y[0, :2], res.y[1, :2], rtol=1e-5, atol=1e-12)
    # ... and at the dose time the dosed one already has 2 more units of P (SBML semantics).
    assert res.y[0, 2, 0] - res.y[1, 2, 0] == pytest.approx(2.0, rel=1e-4)


def test_a_dose_at_the_start_shows_in_the_first_output() -> None:
    doses = Doses(np.array([[0.0]]), np.array([[0]]), np.array([[1.0]]))
    res = simulate_cohort(_cohort(1), T, doses=doses, model=MODEL)
    assert res.y[0, 0, 0] == pytest.approx(MODEL.nominal[-1] + 1.0)


def test_a_dose_equals_restarting_from_the_dosed_state() -> None:
    p = _cohort(1)
    doses = Doses(np.array([[40.0]]), np.array([[0]]), np.array([[1.5]]))
    whole = simulate_cohort(p, np.array([0.0, 40.0, 150.0]), doses=doses, model=MODEL, rtol=1e-9, atol=1e-12)
    first = simulate_cohort(p, np.array([0.0, 40.0]), model=MODEL, rtol=1e-9, atol=1e-12)
    y_dosed = first.y[:, -1, :].copy()
    y_dosed[0, 0] += 1.5
    np.testing.assert_allclose(whole.y[0, 1], y_dosed[0], rtol=1e-12)
    second = simulate_cohort(p, np.array([40.0, 150.0]), y0=y_dosed, model=MODEL, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(whole.y[0, -1], second.y[0, -1], rtol=1e-6, atol=1e-20)


def test_unsorted_doses_are_applied_in_time_order() -> None:
    p = _cohort(2)
    sorted_doses = Doses(np.array([[20.0, 60.0]] * 2), np.zeros((2, 2), np.int64), np.array([[1.0, 3.0]] * 2))
    reversed_doses = Doses(
        np.array([[60.0, 20.0]] * 2), np.zeros((2, 2), np.int64), np.array([[3.0, 1.0]] * 2)
    )
    a = simulate_cohort(p, T, doses=sorted_doses, model=MODEL)
    b = simulate_cohort(p, T, doses=reversed_doses, model=MODEL)
    np.testing.assert_array_equal(a.y, b.y)


@pytest.mark.parametrize(
    ("times", "index", "amount"),
    [
        ([[-1.0]], [[0]], [[1.0]]),  # before the start
        ([[10.0]], [[7]], [[1.0]]),  # no such state
        ([[10.0]], [[0]], [[-1.0]]),  # negative amount
        ([[np.nan]], [[0]], [[1.0]]),  # NaN time
        ([[10.0]], [[0]], [[np.inf]]),  # infinite amount
    ],
)
def test_a_bad_dose_gives_that_patient_status_4_only(
    times: list[list[float]], index: list[list[int]], amount: list[list[float]]
) -> None:
    doses = Doses(
        np.array([*times, [np.inf]]), np.array([*index, [0]], dtype=np.int64), np.array([*amount, [0.0]])
    )
    res = simulate_cohort(_cohort(2), T, doses=doses, model=MODEL)
    assert list(res.status) == [SolverStatus.INVALID_INPUT, SolverStatus.OK]
    assert np.isnan(res.y[0]).all()
    assert res.failure_rate == 0.5


def test_a_nan_parameter_gives_that_patient_status_4_and_the_batch_goes_on() -> None:
    p = _cohort(3)
    p[1, 2] = np.nan
    res = simulate_cohort(p, T, model=MODEL)
    assert list(res.status) == [SolverStatus.OK, SolverStatus.INVALID_INPUT, SolverStatus.OK]
    assert CohortResult.STATUS_TEXT[SolverStatus.INVALID_INPUT].startswith("invalid input")


def test_a_right_hand_side_that_turns_non_finite_gives_status_3() -> None:
    p = _cohort(2)
    p[0, 5] = 0.0  # P_inf = 0: P/P_inf is infinite
    res = simulate_cohort(p, T, model=MODEL)
    assert list(res.status) == [SolverStatus.NON_FINITE, SolverStatus.OK]


def test_one_thread_gives_the_same_numbers_as_all_threads() -> None:
    rng = np.random.default_rng(5)
    p = _cohort(100)
    p[:, 0] = rng.uniform(0.25, 0.65, 100)
    a = simulate_cohort(p, T, model=MODEL, n_threads=1)
    b = simulate_cohort(p, T, model=MODEL)
    np.testing.assert_array_equal(a.y, b.y)


def test_an_empty_cohort_gives_empty_arrays() -> None:
    res = simulate_cohort(np.empty((0, MODEL.nominal.size)), T, model=MODEL)
    assert res.y.shape == (0, T.size, 4)
    assert res.observables["damage"].shape == (0, T.size)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": np.zeros((2, 3))}, "params: has 3 columns"),
        ({"params": np.zeros(22)}, "params: has shape (22,)"),
        ({"t_out_h": np.array([0.0, 2.0, 1.0])}, "t_out_h"),
        ({"t_out_h": np.array([])}, "t_out_h"),
        ({"rtol": 0.0}, "rtol: 0.0"),
        ({"atol": float("nan")}, "atol: nan"),
        ({"backend": "tpu"}, "backend: 'tpu'"),
        ({"n_threads": 0}, "n_threads: 0"),
        ({"y0": np.zeros((2, 5))}, "y0: has shape (2, 5)"),
    ],
)
def test_it_refuses_whole_call_misuse_with_a_message_naming_the_argument(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"params": _cohort(2), "t_out_h": T, "model": MODEL, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        simulate_cohort(**args)  # type: ignore[arg-type]


def test_it_refuses_mismatched_dose_arrays() -> None:
    doses = Doses(np.zeros((2, 2)), np.zeros((2, 3), np.int64), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="doses: times_h"):
        simulate_cohort(_cohort(2), T, doses=doses, model=MODEL)


@pytest.mark.skipif(gpu.gpu_available(), reason="a GPU is present")
def test_it_refuses_the_gpu_backend_when_no_gpu_is_present() -> None:
    with pytest.raises(ValueError, match="backend: 'gpu'"):
        simulate_cohort(_cohort(1), T, model=MODEL, backend="gpu")


def test_warm_up_loads_the_compiled_model_and_reports_seconds() -> None:
    seconds = warm_up(MODEL)
    assert 0.0 < seconds < 600.0
