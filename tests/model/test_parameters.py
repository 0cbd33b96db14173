"""Every parameter is documented, and the population priors behave."""

import numpy as np
import pytest

from stromal.model.definition import MODEL
from stromal.model.distributions import Fixed, LogNormal, Normal
from stromal.model.parameters import (
    AETIOLOGIES,
    PARAMETER_INDEX,
    PARAMETERS,
    calibrated_values,
    nominal_parameters,
    sample_parameters,
)


def test_every_parameter_has_a_unit_a_source_a_distribution_and_a_description() -> None:
    for spec in PARAMETERS:
        assert spec.unit.strip(), spec.name
        assert spec.source.strip(), spec.name
        assert spec.description.strip(), spec.name
        assert spec.distribution.describe(), spec.name
        assert np.isfinite(spec.value), spec.name


def test_every_parameter_is_used_by_the_model_or_by_dosing() -> None:
    used = set().union(*(e.free_symbols for e in MODEL.rhs))
    used |= set().union(*(o.expr.free_symbols for o in MODEL.observables))
    used |= set().union(*(sp.free_symbols for s in MODEL.states if hasattr(sp := s.initial, "free_symbols")))
    dosing_only = {
        "msc_first_pass_fraction",
        "deposition_jet",
        "deposition_mesh",
        "deposition_ventilator_inline",
        "sex_male",
        "height_cm",
        "weight_kg",
        "enrolment_time_h",
    }
    unused = {p.name for p in PARAMETERS} - {s.name for s in used} - dosing_only
    assert unused == set()


def test_the_calibration_levers_are_marked_free() -> None:
    free = {p.name for p in PARAMETERS if p.free}
    assert {"hazard_scale_per_h", "edema_leak_per_h", "shunt_max", "msc_ec50_1e6_cells"} <= free
    from stromal.model.calibration import FITTED

    assert set(FITTED) <= free


def test_the_calibrated_vector_carries_the_installed_fit_and_the_default_does_not() -> None:
    fitted = calibrated_values()
    plain = nominal_parameters()
    calibrated = nominal_parameters(calibrated=True)
    for name, value in fitted.items():
        assert calibrated[PARAMETER_INDEX[name]] == pytest.approx(value)
        assert plain[PARAMETER_INDEX[name]] == PARAMETERS[PARAMETER_INDEX[name]].value
    untouched = [i for p, i in PARAMETER_INDEX.items() if p not in fitted]
    np.testing.assert_array_equal(plain[untouched], calibrated[untouched])


def test_most_insults_fall_below_the_reynolds_persistence_threshold() -> None:
    # Reynolds 2006: with k_pg ~0.3 /h an insult above ~1.2 ends in the persistent state.
    rng = np.random.default_rng(2)
    j = PARAMETER_INDEX["insult_p0"]
    above = {a: np.mean(sample_parameters(rng, 4000, aetiology=a)[:, j] > 1.2) for a in AETIOLOGIES}
    assert 0.02 < above["sepsis"] < 0.3 and 0.02 < above["viral"] < 0.3
    assert above["trauma"] < 0.01


def test_the_parameter_index_matches_the_order() -> None:
    assert [PARAMETERS[i].name for i in PARAMETER_INDEX.values()] == [p.name for p in PARAMETERS]
    assert nominal_parameters().shape == (len(PARAMETERS),)


@pytest.mark.parametrize("aetiology", AETIOLOGIES)
def test_sampled_patients_are_finite_and_reproducible(aetiology: str) -> None:
    a = sample_parameters(np.random.default_rng(3), 500, aetiology=aetiology)
    b = sample_parameters(np.random.default_rng(3), 500, aetiology=aetiology)
    assert a.shape == (500, len(PARAMETERS))
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert (a[:, PARAMETER_INDEX["fio2"]] >= 0.21).all()


def test_sepsis_grows_faster_and_trauma_starts_with_sterile_damage() -> None:
    rng = np.random.default_rng(1)
    draws = {a: sample_parameters(rng, 2000, aetiology=a) for a in AETIOLOGIES}
    k = PARAMETER_INDEX["k_pg"]
    d0 = PARAMETER_INDEX["initial_damage_d0"]
    assert np.median(draws["sepsis"][:, k]) > np.median(draws["viral"][:, k])
    assert (draws["trauma"][:, d0] > 0).all()
    assert (draws["viral"][:, d0] == 0).all()


def test_overrides_fix_a_parameter_for_everyone() -> None:
    x = sample_parameters(np.random.default_rng(0), 10, aetiology="viral", overrides={"fio2": 0.4})
    assert (x[:, PARAMETER_INDEX["fio2"]] == 0.4).all()


def test_it_refuses_an_unknown_aetiology_or_parameter() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="aetiology"):
        sample_parameters(rng, 3, aetiology="influenza")
    with pytest.raises(ValueError, match=r"overrides\.nope"):
        sample_parameters(rng, 3, aetiology="viral", overrides={"nope": 1.0})


def test_distributions_have_the_stated_centre() -> None:
    rng = np.random.default_rng(5)
    assert np.median(LogNormal(24.0, 0.5).sample(rng, 40000)) == pytest.approx(24.0, rel=0.02)
    x = Normal(100.0, 10.0, 60.0, 140.0).sample(rng, 40000)
    assert x.min() >= 60 and x.max() <= 140 and x.mean() == pytest.approx(100.0, abs=0.3)
    assert (Fixed(2.0).sample(rng, 3) == 2.0).all()
