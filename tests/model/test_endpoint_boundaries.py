"""Endpoint boundaries, read straight off the endpoint functions.

Exactly day 28, exactly 48 hours, exactly on a follow-up day: each test puts
an event on the boundary and a hair either side of it, so that a ``<``
written for ``<=`` (or the reverse) fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from stromal.model import endpoints as ep

DAY_H = ep.HOURS_PER_DAY
GRID_H = ep.output_grid_h(90, long_term=False)


def _death_day(death_h: float) -> float:
    """Death time (days) of one patient whose cumulative hazard is t (h) and threshold ``death_h``."""
    hazard = np.tile(GRID_H, (1, 1)) + 3.0  # H(0) = 3: only the hazard since enrolment counts
    return float(ep.death_time_days(GRID_H, hazard, np.array([death_h]))[0])


def test_a_hazard_reaching_the_threshold_exactly_at_day_28_dies_on_day_28() -> None:
    assert _death_day(28 * DAY_H) == 28.0
    assert _death_day(28 * DAY_H + 1.0) == pytest.approx(28 + 1 / 24)
    assert _death_day(28 * DAY_H - 1.0) == pytest.approx(28 - 1 / 24)


def test_a_threshold_never_reached_within_follow_up_is_survival() -> None:
    assert _death_day(GRID_H[-1] + 1.0) == np.inf


def test_death_exactly_on_day_28_leaves_no_ventilator_free_days_and_a_minute_later_does() -> None:
    vent = np.array([5.0, 5.0, 5.0])
    death = np.array([28.0, 28.0 + 1 / 1440, np.inf])
    assert ep.ventilator_free_days(vent, death).tolist() == [0.0, 23.0, 23.0]


def test_a_patient_ventilated_until_death_on_day_28_counts_28_ventilated_days() -> None:
    t = ep.output_grid_h(28, long_term=False)
    pf = np.full((1, len(t)), 80.0)
    vent = ep.ventilation_days(t, pf, np.array([28.0]))
    assert vent[0] == pytest.approx(28.0)
    assert ep.ventilator_free_days(vent, np.array([28.0]))[0] == 0.0


@pytest.mark.parametrize(
    ("ready_h", "liberated"),
    [(48.0, True), (52.0, True), (44.0, False)],
)
def test_a_spell_off_the_ventilator_counts_as_liberation_from_exactly_48_hours(
    ready_h: float, liberated: bool
) -> None:
    t = ep.output_grid_h(28, long_term=False)
    pf = np.where((t >= DAY_H) & (t < DAY_H + ready_h), 300.0, 80.0)[None, :]
    vent = ep.ventilation_days(t, pf, np.array([np.inf]))
    expected = 28.0 - ready_h / DAY_H if liberated else 28.0
    assert vent[0] == pytest.approx(expected)


def test_the_48_hour_rule_is_a_parameter_of_the_endpoint() -> None:
    t = ep.output_grid_h(28, long_term=False)
    pf = np.where((t >= DAY_H) & (t < DAY_H + 24.0), 300.0, 80.0)[None, :]
    assert ep.ventilation_days(t, pf, np.array([np.inf]), sustained_h=24.0)[0] == pytest.approx(27.0)
    assert ep.ventilation_days(t, pf, np.array([np.inf]), sustained_h=48.0)[0] == pytest.approx(28.0)


def test_readiness_at_the_weaning_threshold_itself_counts() -> None:
    t = ep.output_grid_h(28, long_term=False)
    pf = np.where(t >= 2 * DAY_H, ep.WEANING_PF_MMHG, ep.WEANING_PF_MMHG - 0.01)[None, :]
    assert ep.ventilation_days(t, pf, np.array([np.inf]))[0] == pytest.approx(2.0)


def test_no_ventilated_time_is_counted_after_death() -> None:
    t = ep.output_grid_h(28, long_term=False)
    pf = np.full((2, len(t)), 80.0)
    vent = ep.ventilation_days(t, pf, np.array([10.5, 10.0]))
    assert vent.tolist() == [pytest.approx(10.5), pytest.approx(10.0)]


def test_a_patient_dead_exactly_on_a_measurement_day_has_no_value_that_day() -> None:
    t = ep.output_grid_h(28, long_term=False)
    values = np.tile(t / DAY_H, (3, 1))  # the value is the day itself
    out = ep.value_at_days(t, values, (6, 7), np.array([7.0, 7.0 + 1e-6, 6.999]))
    assert out[0, 0] == 6.0 and np.isnan(out[0, 1])  # died at day 7.0: day 6 seen, day 7 not
    assert out[1].tolist() == [6.0, 7.0]  # alive at day 7's measurement
    assert out[2, 0] == 6.0 and np.isnan(out[2, 1])


def test_the_day_7_value_is_read_at_168_hours() -> None:
    t = ep.output_grid_h(28, long_term=False)
    values = np.tile(t, (1, 1))
    out = ep.value_at_days(t, values, ep.PF_DAYS, np.array([np.inf]))
    assert out[0, 7] == 168.0 and out[0, 28] == 28 * DAY_H
