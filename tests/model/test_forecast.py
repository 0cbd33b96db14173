"""The forecast's weighting, without the engine: Kish's effective sample size, exact matches for sex
and aetiology, values not recorded are not used, and systematic resampling draws in proportion."""

from __future__ import annotations

import numpy as np
import pytest

from stromal.model.forecast import (
    PatientValues,
    ReferencePopulation,
    effective_sample_size,
    importance_weights,
    neighbour_count,
    systematic_draws,
)
from stromal.model.population import VirtualPopulation


def _reference(n: int = 6) -> ReferencePopulation:
    rng = np.random.default_rng(0)
    population = VirtualPopulation(
        params=np.zeros((n, 3)),
        y0=np.zeros((n, 2)),
        aetiology=np.array(["viral", "sepsis"] * (n // 2)),
        severity=np.array(["moderate"] * n),
        pf_enrolment_mmhg=np.full(n, 150.0),
        onset_h=np.zeros(n),
        n_candidates=n,
        n_failed=0,
    )
    values = {
        "pf_ratio_mmhg": np.full(n, 150.0),
        "spo2_pct": np.full(n, 92.0),
        "log10_il6_pg_ml": np.full(n, 2.0),
        "age_years": np.full(n, 50.0),
        "weight_kg": np.full(n, 80.0),
        "hours_since_onset": rng.uniform(0, 48, n),
    }
    sex = np.array([True, True, False, False, True, False][:n])
    return ReferencePopulation(population, values, sex, population.aetiology, "test", 0)


def test_equal_weights_count_every_patient_and_one_weight_counts_one() -> None:
    assert effective_sample_size(np.ones(50)) == pytest.approx(50)
    assert effective_sample_size(np.array([0.0, 3.0, 0.0])) == pytest.approx(1)
    assert effective_sample_size(np.zeros(4)) == 0


def test_sex_and_aetiology_must_match_and_unrecorded_values_are_not_used() -> None:
    patient = PatientValues(pf_ratio_mmhg=150, age_years=50, sex_male=True, weight_kg=80, aetiology="viral")
    weights, used, not_used = importance_weights(patient, _reference())
    # Rows: (viral, M), (sepsis, M), (viral, F), (sepsis, F), (viral, M), (sepsis, F)
    assert [w > 0 for w in weights] == [True, False, False, False, True, False]
    assert "sex" in used and "aetiology" in used
    assert {"spo2_pct", "hours_since_onset", "log10_il6_pg_ml"} <= set(not_used)
    assert any(n.startswith("crp_mg_l") for n in not_used)


def test_a_patient_far_from_every_virtual_patient_has_no_neighbours_though_the_weights_are_alike() -> None:
    near = PatientValues(pf_ratio_mmhg=150, age_years=50, sex_male=True, weight_kg=80)
    far = PatientValues(pf_ratio_mmhg=150, age_years=50, sex_male=True, weight_kg=300)
    w_near, _, _ = importance_weights(near, _reference())
    w_far, _, _ = importance_weights(far, _reference())
    # Every matching row weighs 80 kg: the ESS is the same for both, the neighbour count is not.
    assert effective_sample_size(w_far) == pytest.approx(effective_sample_size(w_near)) == pytest.approx(3)
    assert neighbour_count(w_near) == pytest.approx(3) and neighbour_count(w_far) < 1e-6


def test_systematic_draws_follow_the_weights() -> None:
    draws = systematic_draws(np.array([1.0, 0.0, 3.0]), 400, np.random.default_rng(1))
    counts = np.bincount(draws, minlength=3)
    assert counts[1] == 0 and counts[0] == 100 and counts[2] == 300
