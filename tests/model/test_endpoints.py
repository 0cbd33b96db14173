"""Endpoints from trajectories: death time, ventilation, VFD, values at days."""

from __future__ import annotations

import numpy as np
import pytest

from stromal.model import endpoints as ep


def test_the_output_grid_has_4_hourly_points_to_day_28_and_the_long_term_visits() -> None:
    t = ep.output_grid_h(90, long_term=True)
    assert t[0] == 0.0 and t[1] == 4.0
    assert 28 * 24.0 in t and 90 * 24.0 in t and 1826 * 24.0 in t
    assert np.all(np.diff(t) > 0)
    assert ep.output_grid_h(28, long_term=False)[-1] == 28 * 24.0


def test_death_happens_when_the_hazard_since_enrolment_reaches_the_patients_threshold() -> None:
    t = np.array([0.0, 24.0, 48.0, 72.0])
    hazard = np.array([[0.5, 0.5, 1.5, 2.5], [0.0, 0.1, 0.2, 0.3]])
    day = ep.death_time_days(t, hazard, threshold=np.array([0.5, 1.0]))
    # patient 0: H - H(0) = 0, 0, 1, 2: reaches 0.5 halfway between 24 h and 48 h
    assert day[0] == pytest.approx(1.5)
    assert day[1] == np.inf


def test_a_patient_dying_on_day_10_has_zero_ventilator_free_days() -> None:
    t = np.arange(0.0, 29 * 24.0, 4.0)
    pf = np.full((2, len(t)), 150.0)
    pf[1, t >= 5 * 24.0] = 350.0  # patient 1 liberated on day 5
    death = np.array([10.0, np.inf])
    vent = ep.ventilation_days(t, pf, death, threshold_mmhg=300.0)
    vfd = ep.ventilator_free_days(vent, death)
    assert vent[0] == pytest.approx(10.0)
    assert vent[1] == pytest.approx(5.0)
    assert vfd.tolist() == [0.0, pytest.approx(23.0)]


def test_a_short_spell_off_the_ventilator_is_a_failed_extubation_and_counts_as_ventilated() -> None:
    t = np.arange(0.0, 29 * 24.0, 4.0)
    pf = np.full((1, len(t)), 120.0)
    pf[0, (t >= 3 * 24.0) & (t < 4 * 24.0)] = 300.0  # 24 h above the threshold, then worse again
    pf[0, t >= 10 * 24.0] = 300.0  # liberated for good on day 10
    vent = ep.ventilation_days(t, pf, np.array([np.inf]))
    assert vent[0] == pytest.approx(10.0)


def test_re_ventilation_after_a_sustained_liberation_adds_days() -> None:
    t = np.arange(0.0, 29 * 24.0, 4.0)
    pf = np.full((1, len(t)), 120.0)
    pf[0, t >= 2 * 24.0] = 300.0
    pf[0, t >= 8 * 24.0] = 120.0  # worse again on day 8, to the horizon
    vent = ep.ventilation_days(t, pf, np.array([np.inf]))
    assert vent[0] == pytest.approx(2.0 + 20.0)


def test_liberation_uses_the_weaning_threshold_and_every_patient_starts_ventilated() -> None:
    t = np.arange(0.0, 29 * 24.0, 4.0)
    pf = np.full((2, len(t)), ep.WEANING_PF_MMHG + 10.0)
    pf[1] = ep.WEANING_PF_MMHG - 10.0
    vent = ep.ventilation_days(t, pf, np.array([np.inf, np.inf]))
    assert vent[0] == pytest.approx(4.0 / 24.0)  # the first interval, at enrolment
    assert vent[1] == pytest.approx(28.0)
    assert ep.ventilator_free_days(vent, np.array([np.inf, np.inf])).tolist() == [
        pytest.approx(28.0 - 4.0 / 24.0),
        0.0,
    ]


def test_values_after_death_are_missing() -> None:
    t = np.array([0.0, 24.0, 48.0])
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = ep.value_at_days(t, values, (0, 1, 2), np.array([1.5, np.inf]))
    assert out[0, :2].tolist() == [1.0, 2.0] and np.isnan(out[0, 2])
    assert out[1].tolist() == [4.0, 5.0, 6.0]


def test_enright_predicted_walk_distance_for_a_60_year_old_man() -> None:
    # 7.57 * 175 - 5.02 * 60 - 1.76 * 80 - 309 = 573.75 m
    got = ep.six_minute_walk_predicted_m(
        np.array([60.0]), np.array([175.0]), np.array([80.0]), np.array([1.0])
    )
    assert got[0] == pytest.approx(573.75)


def test_a_survivor_with_normal_gas_transfer_walks_76_percent_of_predicted() -> None:
    walk = ep.six_minute_walk_m(np.array([600.0, 600.0, 600.0]), np.array([100.0, 64.0, 120.0]))
    assert walk[0] == pytest.approx(600.0 * 0.76)
    assert walk[1] == pytest.approx(600.0 * 0.76 * 0.8)
    assert walk[2] == pytest.approx(walk[0])
