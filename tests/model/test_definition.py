"""The model definition: shape of the contract, invariants, and gas exchange
with the same formulas as stromal.clinical."""

import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

from stromal.clinical.oxygenation import pf_ratio, severinghaus_saturation_pct, sf_ratio
from stromal.model.definition import MODEL, ellis_pao2_expr, severinghaus_fraction_expr
from stromal.model.parameters import PARAMETER_INDEX, nominal_parameters
from stromal.model.reference import observables_at, solve_reference

REQUIRED_OBSERVABLES = {
    "pao2_mmhg",
    "pf_ratio",
    "spo2_pct",
    "sf_ratio",
    "il6_pg_ml",
    "fvc_pct_predicted",
    "dlco_pct_predicted",
    "shunt_fraction",
}


def _params(**values: float) -> np.ndarray:
    p = nominal_parameters()
    for name, value in values.items():
        p[PARAMETER_INDEX[name]] = value
    return p


def test_the_model_has_the_contracted_observables_and_dose_targets() -> None:
    assert {o.name for o in MODEL.observables} >= REQUIRED_OBSERVABLES
    names = [s.name for s in MODEL.states]
    assert MODEL.dose_targets["iv"] in names and MODEL.dose_targets["inhaled"] in names
    assert "cumulative_death_hazard" in names
    assert 12 <= len(MODEL.states) <= 20


def test_the_right_hand_side_uses_only_state_and_parameter_symbols() -> None:
    allowed = set(MODEL.state_symbols) | set(MODEL.parameter_symbols)
    for expr in MODEL.rhs:
        assert expr.free_symbols <= allowed
    for obs in MODEL.observables:
        assert obs.expr.free_symbols <= allowed


def test_the_digest_is_stable_and_names_the_definition() -> None:
    assert MODEL.digest() == MODEL.digest()
    assert len(MODEL.digest()) == 64


@pytest.mark.parametrize(("k_pg", "p0"), [(0.3, 1.0), (0.6, 1.0), (0.3, 5.0), (0.3, 0.2)])
def test_states_stay_non_negative_and_fractions_below_one(k_pg: float, p0: float) -> None:
    t = np.linspace(0.0, 90 * 24.0, 200)
    y = solve_reference(MODEL, _params(k_pg=k_pg, insult_p0=p0), t, doses=[(40.0, 9, 60.0), (50.0, 10, 0.7)])
    assert (y >= -1e-7).all()
    for name in ("barrier_damage", "alveolar_edema", "profibrotic_macrophages", "myofibroblasts"):
        assert (y[:, MODEL.state_index(name)] <= 1.0).all()
    hazard = y[:, MODEL.state_index("cumulative_death_hazard")]
    assert (np.diff(hazard) >= 0).all()


def test_msc_in_a_non_inflamed_lung_decay_with_the_stated_half_life() -> None:
    p = _params(insult_p0=0.0, msc_lung_half_life_h=24.0, msc_inflamed_retention=2.0)
    msc = MODEL.state_index("msc_lung_1e6_cells")
    y = solve_reference(MODEL, p, np.array([10.0, 34.0, 58.0]), doses=[(10.0, msc, 100.0)])
    assert y[1:, msc] == pytest.approx([50.0, 25.0], rel=1e-5)


def test_an_inflamed_lung_retains_msc_longer() -> None:
    msc = MODEL.state_index("msc_lung_1e6_cells")
    t = np.array([30.0, 54.0])
    calm = solve_reference(MODEL, _params(insult_p0=0.0), t, doses=[(30.0, msc, 100.0)])
    inflamed = solve_reference(MODEL, _params(insult_p0=5.0), t, doses=[(30.0, msc, 100.0)])
    assert inflamed[1, msc] > calm[1, msc] * 1.2


def _exact_pao2(p: np.ndarray, shunt: float) -> float:
    g = {name: p[i] for name, i in PARAMETER_INDEX.items()}
    hb = g["o2_binding_ml_per_g"] * g["haemoglobin_g_dl"]
    sol = g["o2_solubility_ml_dl_mmhg"]
    p_alv = (
        g["fio2"] * (g["barometric_pressure_mmhg"] - g["water_vapour_pressure_mmhg"])
        - g["paco2_mmhg"] / g["respiratory_quotient"]
    )
    c_cap = hb * severinghaus_saturation_pct(p_alv) / 100 + sol * p_alv
    c_art = c_cap - g["avdo2_ml_dl"] * shunt / (1 - shunt)
    return float(brentq(lambda x: hb * severinghaus_saturation_pct(x) / 100 + sol * x - c_art, 20.0, p_alv))


@pytest.mark.parametrize(("fio2", "insult"), [(0.3, 0.0), (0.5, 1.0), (0.9, 5.0), (0.6, 0.6)])
def test_gas_exchange_matches_the_iso_shunt_root_and_the_clinical_formulas(
    fio2: float, insult: float
) -> None:
    p = _params(fio2=fio2, insult_p0=insult)
    t = np.array([0.0, 60.0, 200.0])
    y = solve_reference(MODEL, p, t)
    obs = observables_at(MODEL, y, p)
    for k in (1, 2):
        # PaO2 is a fast state: at these times it sits on its algebraic root.
        assert obs["pao2_mmhg"][k] == pytest.approx(_exact_pao2(p, obs["shunt_fraction"][k]), rel=1e-3)
        pao2 = obs["pao2_mmhg"][k]
        assert obs["spo2_pct"][k] == pytest.approx(severinghaus_saturation_pct(pao2), rel=1e-9)
        assert obs["pf_ratio"][k] == pytest.approx(pf_ratio(pao2, fio2), rel=1e-9)
        assert obs["sf_ratio"][k] == pytest.approx(sf_ratio(obs["spo2_pct"][k], fio2), rel=1e-9)


def test_the_severinghaus_and_ellis_expressions_are_inverse() -> None:
    x = sp.Symbol("x")
    sev = sp.lambdify(x, severinghaus_fraction_expr(x))
    ellis = sp.lambdify(x, ellis_pao2_expr(x))
    for pao2 in (30.0, 60.0, 100.0, 400.0):
        assert sev(pao2) * 100 == pytest.approx(severinghaus_saturation_pct(pao2), rel=1e-12)
        assert ellis(sev(pao2)) == pytest.approx(pao2, rel=1e-9)


def test_a_healthy_lung_on_room_air_has_normal_gas_exchange() -> None:
    p = _params(fio2=0.21, insult_p0=0.0)
    obs = observables_at(MODEL, solve_reference(MODEL, p, np.array([5.0])), p)
    assert 80 < obs["pao2_mmhg"][0] < 100
    assert obs["pf_ratio"][0] > 400
    assert obs["il6_pg_ml"][0] == pytest.approx(p[PARAMETER_INDEX["il6_baseline_pg_ml"]])


def test_severity_spans_the_berlin_grades_with_insult_and_susceptibility() -> None:
    lowest = []
    for insult, susceptibility in ((0.7, 0.3), (1.0, 0.5), (1.0, 1.5)):
        p = _params(insult_p0=insult, lung_susceptibility=susceptibility)
        y = solve_reference(MODEL, p, np.linspace(0, 14 * 24.0, 113))
        lowest.append(observables_at(MODEL, y, p)["pf_ratio"].min())
    assert 200 < lowest[0] <= 300
    assert 100 < lowest[1] <= 200
    assert lowest[2] <= 100


def test_a_non_resolving_course_is_far_more_lethal_than_a_resolving_one() -> None:
    h = MODEL.state_index("cumulative_death_hazard")
    t = np.array([28 * 24.0])
    # Without organ dysfunction at the insult, so that the course alone differs.
    resolving = solve_reference(
        MODEL, _params(k_pg=0.3, insult_p0=1.0, lung_susceptibility=0.5, organ_dysfunction_initial=0.0), t
    )[0, h]
    septic = solve_reference(MODEL, _params(k_pg=0.6, insult_p0=1.0, organ_dysfunction_initial=0.0), t)[0, h]
    assert 0.02 < 1 - math.exp(-resolving) < 0.4
    assert 1 - math.exp(-septic) > max(0.2, 4 * (1 - math.exp(-resolving)))
