"""Every line a session chart draws is where its stopping rule fires: on the line (or just past it), not inside.

The lines (``stopping_thresholds``) and the rules (``infusion_safety``) read
the same constants; these tests hold them together by asking the rule itself
about a value on each line and a value just inside it.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from stromal.clinical.infusion_safety import (
    FIO2_RISE,
    PEEP_RISE_CMH2O,
    WINDOW_MINUTES,
    InfusionBaseline,
    InfusionObservation,
    infusion_events,
)
from stromal.clinical.protocol import StoppingRuleSet
from stromal.clinical.stopping_thresholds import StoppingThreshold, stopping_limits

STEP = 1e-6  # relative: well inside a line, far above the rules' tolerance for unit conversions (1e-9)
OBSERVATION_FIELDS = {f.name for f in fields(InfusionObservation)}

BASELINES = {
    "on NIV, no vasopressor": InfusionBaseline(fio2=0.4, peep_cmh2o=5.0, support="niv", weight_kg=80.0),
    "ventilated, on norepinephrine": InfusionBaseline(
        fio2=0.5,
        peep_cmh2o=8.0,
        support="invasive",
        norepinephrine_ug_min=4.0,
        vasopressor_count=1,
        weight_kg=72.0,
    ),
    "on a high dopamine dose already": InfusionBaseline(
        fio2=0.6,
        peep_cmh2o=10.0,
        support="invasive",
        dopamine_ug_kg_min=12.0,
        vasopressor_count=2,
        weight_kg=90.0,
    ),
}


def _fires(
    rule_set: StoppingRuleSet, baseline: InfusionBaseline, rule_id: str, values: dict[str, Any]
) -> bool:
    observation = InfusionObservation(minutes_since_start=30, support=baseline.support, **values)
    return rule_id in {hit.rule_id for hit in infusion_events(rule_set, baseline, observation)}


def _at(threshold: StoppingThreshold, factor: float) -> float | int:
    assert threshold.value is not None
    value = threshold.value * factor
    return round(value) if threshold.field == "vasopressor_count" else value


def _partners(limits: tuple[StoppingThreshold, ...], t: StoppingThreshold) -> dict[str, float]:
    """The other limits a rule needs at the same time (START's hypoxaemia: FiO2 and PEEP), each on its line."""
    if not t.together_with:
        return {}
    return {
        p.field: p.value
        for p in limits
        if p.rule_id == t.rule_id and p.field != t.field and p.value is not None
    }


def _cases() -> list[Any]:
    cases = []
    for rule_set in StoppingRuleSet:
        for name, baseline in BASELINES.items():
            for t in stopping_limits(rule_set, baseline).thresholds:
                cases.append(
                    pytest.param(rule_set, baseline, t, id=f"{rule_set.value}-{name}-{t.rule_id}-{t.field}")
                )
    return cases


@pytest.mark.parametrize(("rule_set", "baseline", "threshold"), _cases())
def test_a_value_on_or_just_past_each_line_fires_its_rule_and_one_just_inside_does_not(
    rule_set: StoppingRuleSet, baseline: InfusionBaseline, threshold: StoppingThreshold
) -> None:
    assert threshold.field in OBSERVATION_FIELDS and threshold.value is not None
    limits = stopping_limits(rule_set, baseline).thresholds
    others = _partners(limits, threshold)
    on_line = {threshold.field: _at(threshold, 1), **others}
    past = {
        threshold.field: _at(threshold, 1 + STEP) if threshold.field != "vasopressor_count" else 4,
        **others,
    }
    inside = {
        threshold.field: _at(threshold, 1 - STEP) if threshold.field != "vasopressor_count" else 2,
        **others,
    }
    assert _fires(rule_set, baseline, threshold.rule_id, on_line) is threshold.inclusive
    assert _fires(rule_set, baseline, threshold.rule_id, past)
    assert not _fires(rule_set, baseline, threshold.rule_id, inside)


def test_start_draws_fio2_and_peep_above_the_baseline_and_each_names_the_other() -> None:
    limits = stopping_limits(StoppingRuleSet.START, BASELINES["on NIV, no vasopressor"])
    (fio2,) = limits.for_field("fio2")
    (peep,) = limits.for_field("peep_cmh2o")
    assert fio2.value == 0.6 == round(0.4 + FIO2_RISE, 9)
    assert peep.value == 10.0 == 5.0 + PEEP_RISE_CMH2O
    assert "PEEP at least 10" in fio2.together_with and "FiO2 at least 0.6" in peep.together_with


def test_start_vasopressor_lines_are_the_published_doses_in_each_drugs_rule_unit() -> None:
    limits = stopping_limits(StoppingRuleSet.START, BASELINES["on NIV, no vasopressor"])
    drawn = {t.field: (t.value, t.unit) for t in limits.thresholds if "vasopressor." in t.rule_id}
    assert drawn == {
        "norepinephrine_ug_min": (10.0, "µg/min"),
        "phenylephrine_ug_min": (100.0, "µg/min"),
        "dopamine_ug_kg_min": (10.0, "µg/kg/min"),
        "epinephrine_ug_kg_min": (0.1, "µg/kg/min"),
        "vasopressor_count": (3.0, "agents"),
    }


def test_lanzonis_epinephrine_line_is_10_ug_min_converted_with_the_body_weight() -> None:
    (line,) = stopping_limits(StoppingRuleSet.LANZONI, BASELINES["on NIV, no vasopressor"]).for_field(
        "epinephrine_ug_kg_min"
    )
    assert line.value == pytest.approx(10.0 / 80.0) and line.unit == "µg/kg/min"


def test_without_a_body_weight_lanzonis_epinephrine_line_cannot_be_placed_and_says_why() -> None:
    (line,) = stopping_limits(StoppingRuleSet.LANZONI, InfusionBaseline(fio2=0.4)).for_field(
        "epinephrine_ug_kg_min"
    )
    assert line.value is None and "needs the body weight" in line.description


def test_lanzoni_draws_ventilation_lines_only_for_a_ventilated_patient() -> None:
    niv = stopping_limits(StoppingRuleSet.LANZONI, BASELINES["on NIV, no vasopressor"])
    ventilated = stopping_limits(StoppingRuleSet.LANZONI, BASELINES["ventilated, on norepinephrine"])
    assert not niv.for_field("fio2") and not niv.for_field("peep_cmh2o")
    (fio2,) = ventilated.for_field("fio2")
    assert fio2.value == 0.7 and not fio2.inclusive  # "an FiO2 increase > 0.20"


def test_a_dose_already_at_its_threshold_moves_the_line_to_the_baseline() -> None:
    limits = stopping_limits(StoppingRuleSet.START, BASELINES["on a high dopamine dose already"])
    (dopamine,) = limits.for_field("dopamine_ug_kg_min")
    assert dopamine.value == 12.0 and not dopamine.inclusive and "any increase" in dopamine.description


def test_no_third_agent_line_when_three_vasopressors_run_at_baseline() -> None:
    baseline = InfusionBaseline(vasopressor_count=3)
    assert not stopping_limits(StoppingRuleSet.START, baseline).for_field("vasopressor_count")


def test_the_limits_apply_within_the_rules_window() -> None:
    assert stopping_limits(StoppingRuleSet.START, InfusionBaseline()).window_minutes == WINDOW_MINUTES
