"""Vitals validation and the protocol's stopping rules over every dose unit the form accepts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.administrations.vitals import (
    ALL_SPECS,
    BASELINE_REQUIRED,
    DOSE_FIELDS,
    canonical_doses,
    stopping_rule_hits,
    validate_baseline,
    validate_vitals,
)
from stromal.clinical.infusion_safety import VASOPRESSOR_THRESHOLDS, DoseUnit, dose_in
from stromal.clinical.protocol import StoppingRuleSet, builtin_protocols
from stromal.clinical.validation import ClinicalInputError

# Every rule set a protocol can name: those of the shipped protocols and the Lanzoni variant.
RULE_SETS = sorted({p.stopping_rules for p in builtin_protocols()} | set(StoppingRuleSet))
CASES = [(rules, item) for rules in RULE_SETS for item in VASOPRESSOR_THRESHOLDS[rules]]


def _field(drug: str, unit: DoseUnit) -> str:
    return f"{drug}_{'ug_min' if unit is DoseUnit.UG_MIN else 'ug_kg_min'}"


def test_every_vasopressor_is_accepted_in_both_units_it_is_prescribed_in() -> None:
    drugs_with_both = {
        d for d, _ in DOSE_FIELDS.values() if sum(x == d for x, _ in DOSE_FIELDS.values()) == 2
    }
    assert {"epinephrine", "norepinephrine"} <= drugs_with_both
    assert all(name in ALL_SPECS for name in DOSE_FIELDS)


@pytest.mark.parametrize(("rules", "item"), CASES, ids=[f"{r}-{i.drug}" for r, i in CASES])
@given(weight_kg=st.floats(min_value=20, max_value=400), unit=st.sampled_from(DoseUnit))
def test_a_dose_just_above_a_threshold_in_either_form_unit_stops_and_just_below_does_not(
    rules: StoppingRuleSet, item: Any, weight_kg: float, unit: DoseUnit
) -> None:
    field = _field(item.drug, unit)
    if field not in DOSE_FIELDS:  # this drug is not offered in this unit on the form
        return
    threshold = dose_in(item.value, item.unit, unit, weight_kg)
    rule_id = f"{rules.value}.vasopressor.{item.drug}"
    above = stopping_rule_hits(rules, {}, {field: threshold * (1 + 1e-6)}, 30, weight_kg)
    below = stopping_rule_hits(rules, {}, {field: threshold * (1 - 1e-6)}, 30, weight_kg)
    assert rule_id in [h.rule_id for h in above]
    assert rule_id not in [h.rule_id for h in below]


def test_start_stops_on_epinephrine_15_ug_min_in_a_91_kg_patient() -> None:
    # Issue #8 regression: 0.164 µg/kg/min > START's 0.1 µg/kg/min (Matthay 2019).
    hits = stopping_rule_hits("start", {}, {"epinephrine_ug_min": 15}, 30, 91.4)
    assert [h.rule_id for h in hits] == ["start.vasopressor.epinephrine"]


def test_lanzoni_stops_on_epinephrine_0_164_ug_kg_min_in_a_91_kg_patient() -> None:
    # The mirror case: 15 µg/min > Lanzoni's 10 µg/min.
    hits = stopping_rule_hits("lanzoni", {}, {"epinephrine_ug_kg_min": 0.164}, 30, 91.4)
    assert [h.rule_id for h in hits] == ["lanzoni.vasopressor.epinephrine"]


def test_a_baseline_dose_in_the_other_unit_counts_as_the_baseline() -> None:
    # 8 µg/min at baseline in 80 kg = 0.1 µg/kg/min; 0.1 µg/kg/min later is no increase.
    hits = stopping_rule_hits("start", {"epinephrine_ug_min": 8}, {"epinephrine_ug_kg_min": 0.1}, 30, 80)
    assert hits == []


def test_a_dose_that_needs_the_weight_is_refused_naming_its_field_when_no_weight_is_recorded() -> None:
    with pytest.raises(ClinicalInputError) as exc:
        stopping_rule_hits("start", {}, {"epinephrine_ug_min": 15}, 30, None)
    assert exc.value.field == "epinephrine_ug_min" and "body weight" in str(exc.value)
    with pytest.raises(ClinicalInputError):
        canonical_doses({"norepinephrine_ug_kg_min": 0.2}, None)
    # Entered in the rules' own unit, no weight is needed.
    assert canonical_doses({"epinephrine_ug_kg_min": 0.2, "norepinephrine_ug_min": 5}, None) == {
        "epinephrine_ug_kg_min": 0.2,
        "norepinephrine_ug_min": 5.0,
    }


def test_a_drug_entered_in_two_units_at_once_is_refused() -> None:
    with pytest.raises(ClinicalInputError, match="one unit only"):
        validate_vitals({"epinephrine_ug_min": 5, "epinephrine_ug_kg_min": 0.05})


def test_a_diastolic_pressure_not_below_the_systolic_is_refused() -> None:
    with pytest.raises(ClinicalInputError) as exc:
        validate_vitals({"systolic_bp_mmhg": 90, "diastolic_bp_mmhg": 95})
    assert exc.value.field == "diastolic_bp_mmhg"
    assert validate_vitals({"systolic_bp_mmhg": 120, "diastolic_bp_mmhg": 80})


@pytest.mark.parametrize("missing", BASELINE_REQUIRED)
def test_a_baseline_needs_blood_pressure_temperature_respiratory_rate_pulse_and_spo2(missing: str) -> None:
    full = {
        "heart_rate_bpm": 90,
        "systolic_bp_mmhg": 120,
        "diastolic_bp_mmhg": 75,
        "respiratory_rate_per_min": 20,
        "spo2_pct": 94,
        "temperature_c": 37.0,
    }
    assert validate_baseline(full) == full
    with pytest.raises(ClinicalInputError) as exc:
        validate_baseline({k: v for k, v in full.items() if k != missing})
    assert exc.value.field == missing


@pytest.mark.parametrize(("field", "value"), [("temperature_c", 47), ("respiratory_rate_per_min", 2)])
def test_baseline_values_outside_their_range_are_refused(field: str, value: float) -> None:
    with pytest.raises(ClinicalInputError) as exc:
        validate_vitals({field: value})
    assert exc.value.field == field
