"""Dose events come from the same Arm the clinic uses."""

import numpy as np
import pytest

from stromal.clinical.oxygenation import predicted_body_weight_kg as clinical_pbw
from stromal.clinical.protocol import Arm, NebuliserDevice, Route, WeightBasis, builtin_protocols
from stromal.model.definition import MODEL
from stromal.model.dosing import (
    ADMINISTRATION_OFFSET_H,
    dose_events_for_arm,
    merge,
    no_doses,
    predicted_body_weight_kg,
)
from stromal.model.parameters import PARAMETER_INDEX, nominal_parameters

MSC = MODEL.state_index("msc_lung_1e6_cells")
EV = MODEL.state_index("exosome_airway_1e8_particles")


def _params(n: int = 3) -> np.ndarray:
    return np.tile(nominal_parameters(), (n, 1))


def _events(arm: Arm, n: int = 3, **kw: object):  # type: ignore[no-untyped-def]
    args = {"weight_kg": 80.0, "height_cm": 175.0, "sex_male": 1.0, "params": _params(n)}
    args.update(kw)
    return dose_events_for_arm(arm, **args)  # type: ignore[arg-type]


def test_iv_cells_per_kg_of_actual_weight_times_viability_and_entrapment_reach_the_lung() -> None:
    arm = Arm("iv", route=Route.IV, dose_cells_per_kg=1e6, days=(1, 2), viability_pct=90)
    ev = _events(arm, weight_kg=np.array([50.0, 80.0, 100.0]))
    entrapment = nominal_parameters()[PARAMETER_INDEX["msc_first_pass_fraction"]]
    np.testing.assert_allclose(ev.amount[:, 0], np.array([50, 80, 100]) * 0.9 * entrapment)
    assert (ev.state_index == MSC).all()
    enrol = nominal_parameters()[PARAMETER_INDEX["enrolment_time_h"]]
    np.testing.assert_allclose(ev.times_h[0], enrol + ADMINISTRATION_OFFSET_H + np.array([24.0, 48.0]))


def test_a_lower_viability_gives_proportionally_fewer_lung_cells() -> None:
    good = _events(Arm("a", route=Route.IV, dose_cells_per_kg=1e6, days=(0,), viability_pct=85))
    poor = _events(Arm("a", route=Route.IV, dose_cells_per_kg=1e6, days=(0,), viability_pct=36))
    np.testing.assert_allclose(poor.amount / good.amount, 36 / 85)


def test_predicted_body_weight_matches_the_clinical_function() -> None:
    heights = np.array([150.0, 165.0, 190.0])
    for male in (0.0, 1.0):
        expected = [clinical_pbw("male" if male else "female", h) for h in heights]
        np.testing.assert_allclose(predicted_body_weight_kg(np.full(3, male), heights), expected)


def test_predicted_weight_basis_ignores_actual_weight_and_the_cap_applies() -> None:
    arm = Arm("p", route=Route.IV, dose_cells_per_kg=10e6, weight_basis=WeightBasis.PREDICTED, days=(0,))
    light = _events(arm, weight_kg=60.0)
    heavy = _events(arm, weight_kg=140.0)
    np.testing.assert_allclose(light.amount, heavy.amount)
    capped = _events(
        Arm("c", route=Route.IV, dose_cells_per_kg=10e6, max_total_cells=2e8, days=(0,)), weight_kg=140.0
    )
    entrapment = nominal_parameters()[PARAMETER_INDEX["msc_first_pass_fraction"]]
    np.testing.assert_allclose(capped.amount, 200.0 * entrapment)


@pytest.mark.parametrize(
    ("device", "parameter"),
    [
        (NebuliserDevice.JET, "deposition_jet"),
        (NebuliserDevice.MESH, "deposition_mesh"),
        (NebuliserDevice.VENTILATOR_INLINE, "deposition_ventilator_inline"),
    ],
)
def test_inhaled_particles_are_scaled_by_the_device_deposition_fraction(
    device: NebuliserDevice, parameter: str
) -> None:
    arm = Arm("x", route=Route.INHALED, dose_particles=2e8, days=(1, 2, 3), device=device)
    ev = _events(arm)
    fraction = nominal_parameters()[PARAMETER_INDEX[parameter]]
    np.testing.assert_allclose(ev.amount, 2.0 * fraction)
    assert (ev.state_index == EV).all()


def test_the_nominal_mesh_deposits_three_times_the_jet() -> None:
    p = nominal_parameters()
    assert p[PARAMETER_INDEX["deposition_mesh"]] == pytest.approx(3 * p[PARAMETER_INDEX["deposition_jet"]])


def test_a_control_arm_has_no_doses() -> None:
    ev = _events(Arm("control"))
    assert np.isinf(ev.times_h).all()
    assert ev.for_patient(0) == []


@pytest.mark.parametrize("protocol", builtin_protocols(), ids=lambda p: p.code)
def test_every_shipped_protocol_arm_becomes_dose_events(protocol) -> None:  # type: ignore[no-untyped-def]
    for arm in protocol.arms:
        ev = _events(arm)
        finite = np.isfinite(ev.times_h[0])
        assert int(finite.sum()) == arm.n_administrations
        assert (ev.amount[:, finite] > 0).all()
        assert (np.diff(ev.times_h[0][finite]) > 0).all()


def test_merge_sorts_events_per_patient_and_keeps_padding_out() -> None:
    iv = _events(Arm("iv", route=Route.IV, dose_cells_per_kg=1e6, days=(3,)))
    ex = _events(Arm("ex", route=Route.INHALED, dose_particles=2e8, days=(1, 5), device=NebuliserDevice.MESH))
    both = merge(iv, ex, no_doses(3))
    assert both.times_h.shape == (3, 3)
    assert list(both.state_index[0]) == [EV, MSC, EV]
    assert (np.diff(both.times_h, axis=1) > 0).all()


def test_it_refuses_weights_that_do_not_match_the_patients() -> None:
    arm = Arm("iv", route=Route.IV, dose_cells_per_kg=1e6, days=(1,))
    with pytest.raises(ValueError, match="weight_kg"):
        _events(arm, weight_kg=np.array([70.0, 80.0]))
    with pytest.raises(ValueError, match="weight_kg"):
        _events(arm, weight_kg=-1.0)
