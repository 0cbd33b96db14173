"""START and Lanzoni infusion-associated events; CTCAE infusion-reaction grade."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stromal.clinical.infusion_safety import (
    CANONICAL_UNIT,
    LANZONI_DEATH_WINDOW_MINUTES,
    VASOPRESSOR_THRESHOLDS,
    DoseConversionError,
    DoseUnit,
    InfusionBaseline,
    InfusionObservation,
    VasopressorThreshold,
    ctcae_infusion_reaction_grade,
    dose_in,
    infusion_events,
    lanzoni_infusion_events,
    start_infusion_events,
)
from stromal.clinical.protocol import StoppingRuleSet

VENTILATED = InfusionBaseline(
    fio2=0.4, peep_cmh2o=10, support="invasive", norepinephrine_ug_min=4, vasopressor_count=1
)


def _ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.rule_id for h in hits]


def test_a_stable_patient_has_no_events() -> None:
    obs = InfusionObservation(
        minutes_since_start=30, fio2=0.4, peep_cmh2o=10, norepinephrine_ug_min=4, vasopressor_count=1
    )
    assert start_infusion_events(VENTILATED, obs) == []
    assert lanzoni_infusion_events(VENTILATED, obs) == []


@pytest.mark.parametrize(("dose", "fires"), [(9.9, False), (10.0, True), (10.1, True)])
def test_norepinephrine_fires_at_10_ug_min(dose: float, fires: bool) -> None:
    obs = InfusionObservation(minutes_since_start=60, norepinephrine_ug_min=dose, vasopressor_count=1)
    assert ("start.vasopressor.norepinephrine" in _ids(start_infusion_events(VENTILATED, obs))) is fires


@pytest.mark.parametrize(
    ("field", "below", "at"),
    [
        ("phenylephrine_ug_min", 99.9, 100.0),
        ("dopamine_ug_kg_min", 9.9, 10.0),
        ("epinephrine_ug_kg_min", 0.09, 0.1),
    ],
)
def test_other_start_vasopressor_thresholds(field: str, below: float, at: float) -> None:
    drug = field.split("_")[0]
    base = InfusionBaseline()
    assert not start_infusion_events(base, InfusionObservation(minutes_since_start=10, **{field: below}))
    hits = start_infusion_events(base, InfusionObservation(minutes_since_start=10, **{field: at}))
    assert _ids(hits) == [f"start.vasopressor.{drug}"]
    assert hits[0].source.startswith("Matthay")


def test_an_unchanged_high_dose_is_not_an_increase() -> None:
    base = InfusionBaseline(norepinephrine_ug_min=15)
    assert (
        start_infusion_events(base, InfusionObservation(minutes_since_start=10, norepinephrine_ug_min=15))
        == []
    )


def test_a_third_vasopressor_fires() -> None:
    base = InfusionBaseline(vasopressor_count=2)
    hits = start_infusion_events(base, InfusionObservation(minutes_since_start=10, vasopressor_count=3))
    assert _ids(hits) == ["start.vasopressor.third_agent"]


def _epinephrine(ug_min: float, weight_kg: float) -> InfusionObservation:
    per_kg = dose_in(ug_min, DoseUnit.UG_MIN, DoseUnit.UG_KG_MIN, weight_kg)
    return InfusionObservation(minutes_since_start=10, epinephrine_ug_kg_min=per_kg)


def test_lanzoni_fires_at_exactly_10_ug_min_of_epinephrine_and_not_below() -> None:
    base = InfusionBaseline(weight_kg=80)
    assert _ids(lanzoni_infusion_events(base, _epinephrine(10.0, 80))) == ["lanzoni.vasopressor.epinephrine"]
    assert lanzoni_infusion_events(base, _epinephrine(9.99, 80)) == []
    # 10 µg/min in 80 kg is 0.125 µg/kg/min: above START's 0.1 µg/kg/min as well.
    assert _ids(start_infusion_events(base, _epinephrine(10.0, 80))) == ["start.vasopressor.epinephrine"]


def test_lanzoni_reads_an_epinephrine_dose_entered_in_ug_per_kg_per_min() -> None:
    # The mirror of the START case: 0.164 µg/kg/min in 91.4 kg is 15 µg/min >= 10.
    obs = InfusionObservation(minutes_since_start=10, epinephrine_ug_kg_min=0.164)
    hits = lanzoni_infusion_events(InfusionBaseline(weight_kg=91.4), obs)
    assert _ids(hits) == ["lanzoni.vasopressor.epinephrine"]


def test_start_reads_15_ug_min_of_epinephrine_in_a_91_kg_patient() -> None:
    # Issue #8 regression: 15 µg/min / 91.4 kg = 0.164 µg/kg/min > 0.1 (Matthay 2019).
    hits = start_infusion_events(InfusionBaseline(weight_kg=91.4), _epinephrine(15.0, 91.4))
    assert _ids(hits) == ["start.vasopressor.epinephrine"]


def test_a_threshold_in_another_unit_without_a_weight_is_refused_not_ignored() -> None:
    obs = InfusionObservation(minutes_since_start=10, epinephrine_ug_kg_min=0.5)
    with pytest.raises(DoseConversionError, match="body weight"):
        lanzoni_infusion_events(InfusionBaseline(), obs)


def test_dose_conversion_multiplies_by_the_weight_and_needs_none_for_zero() -> None:
    assert dose_in(0.1, DoseUnit.UG_KG_MIN, DoseUnit.UG_MIN, 80) == pytest.approx(8.0)
    assert dose_in(8.0, DoseUnit.UG_MIN, DoseUnit.UG_KG_MIN, 80) == pytest.approx(0.1)
    assert dose_in(0.0, DoseUnit.UG_MIN, DoseUnit.UG_KG_MIN, None) == 0.0
    assert dose_in(3.0, DoseUnit.UG_MIN, DoseUnit.UG_MIN, None) == 3.0
    with pytest.raises(DoseConversionError):
        dose_in(3.0, DoseUnit.UG_MIN, DoseUnit.UG_KG_MIN, None)
    with pytest.raises(ValueError, match="weight_kg"):
        dose_in(3.0, DoseUnit.UG_MIN, DoseUnit.UG_KG_MIN, 0.0)


THRESHOLDS = [(rules, item) for rules, items in VASOPRESSOR_THRESHOLDS.items() for item in items]


def _observation_with(
    item: VasopressorThreshold, value: float, unit: DoseUnit, weight_kg: float
) -> InfusionObservation:
    canonical = CANONICAL_UNIT[item.drug]
    dose = dose_in(value, unit, canonical, weight_kg)
    field = f"{item.drug}_{'ug_min' if canonical is DoseUnit.UG_MIN else 'ug_kg_min'}"
    return InfusionObservation(minutes_since_start=30, **{field: dose})


@pytest.mark.parametrize(("rules", "item"), THRESHOLDS, ids=[f"{r}-{i.drug}" for r, i in THRESHOLDS])
@given(weight_kg=st.floats(min_value=20, max_value=400), unit=st.sampled_from(DoseUnit))
def test_every_vasopressor_rule_fires_just_above_its_threshold_in_either_unit_and_not_just_below(
    rules: StoppingRuleSet, item: VasopressorThreshold, weight_kg: float, unit: DoseUnit
) -> None:
    threshold = dose_in(item.value, item.unit, unit, weight_kg)  # the threshold in the entry unit
    base = InfusionBaseline(weight_kg=weight_kg)
    rule_id = f"{rules.value}.vasopressor.{item.drug}"
    above = _observation_with(item, threshold * (1 + 1e-6), unit, weight_kg)
    below = _observation_with(item, threshold * (1 - 1e-6), unit, weight_kg)
    assert rule_id in _ids(infusion_events(rules, base, above))
    assert rule_id not in _ids(infusion_events(rules, base, below))


@pytest.mark.parametrize(("rules", "item"), THRESHOLDS, ids=[f"{r}-{i.drug}" for r, i in THRESHOLDS])
def test_every_vasopressor_rule_fires_at_exactly_its_published_threshold(
    rules: StoppingRuleSet, item: VasopressorThreshold
) -> None:
    base = InfusionBaseline(weight_kg=91.4)
    hits = infusion_events(rules, base, _observation_with(item, item.value, item.unit, 91.4))
    assert _ids(hits) == [f"{rules.value}.vasopressor.{item.drug}"]


@pytest.mark.parametrize(
    ("fio2", "peep", "fires"),
    [(0.6, 15, True), (0.59, 15, False), (0.6, 14.9, False), (0.7, 16, True)],
)
def test_start_hypoxemia_needs_both_fio2_plus_02_and_peep_plus_5(
    fio2: float, peep: float, fires: bool
) -> None:
    obs = InfusionObservation(
        minutes_since_start=90,
        fio2=fio2,
        peep_cmh2o=peep,
        spo2_pct=90,
        norepinephrine_ug_min=4,
        vasopressor_count=1,
    )
    assert ("start.hypoxemia" in _ids(start_infusion_events(VENTILATED, obs))) is fires


@pytest.mark.parametrize(("fio2", "peep", "fires"), [(0.6, 10, False), (0.61, 10, True), (0.4, 15, True)])
def test_lanzoni_ventilation_needs_peep_plus_5_or_fio2_above_02(
    fio2: float, peep: float, fires: bool
) -> None:
    obs = InfusionObservation(
        minutes_since_start=90, fio2=fio2, peep_cmh2o=peep, norepinephrine_ug_min=4, vasopressor_count=1
    )
    assert ("lanzoni.ventilation" in _ids(lanzoni_infusion_events(VENTILATED, obs))) is fires


def test_lanzoni_counts_intubation_of_a_patient_on_hfno() -> None:
    base = InfusionBaseline(support="hfno", fio2=0.6)
    obs = InfusionObservation(minutes_since_start=200, support="invasive")
    assert _ids(lanzoni_infusion_events(base, obs)) == ["lanzoni.intubation"]


def test_arrhythmias_and_transfusion_picture_fire_in_both_rule_sets() -> None:
    obs = InfusionObservation(
        minutes_since_start=5,
        new_vt_vf_or_asystole=True,
        new_arrhythmia_requiring_cardioversion=True,
        urticaria=True,
    )
    assert _ids(start_infusion_events(InfusionBaseline(), obs)) == [
        "start.vt_vf_asystole",
        "start.cardioversion",
        "start.transfusion_reaction",
    ]
    assert len(lanzoni_infusion_events(InfusionBaseline(), obs)) == 3


@pytest.mark.parametrize(("minutes", "fires"), [(359.9, True), (360, True), (360.1, False)])
def test_events_count_only_within_6_hours(minutes: float, fires: bool) -> None:
    obs = InfusionObservation(minutes_since_start=minutes, new_bronchospasm=True)
    assert bool(start_infusion_events(InfusionBaseline(), obs)) is fires


@pytest.mark.parametrize(("minutes", "fires"), [(1440, True), (1439.9, True), (1440.01, False)])
def test_lanzoni_counts_death_up_to_exactly_24_hours(minutes: float, fires: bool) -> None:
    assert LANZONI_DEATH_WINDOW_MINUTES == 24 * 60
    obs = InfusionObservation(minutes_since_start=minutes, cardiac_arrest_or_death=True)
    hits = lanzoni_infusion_events(InfusionBaseline(), obs)
    assert (_ids(hits) == ["lanzoni.cardiac_arrest_or_death"]) is fires


def test_lanzoni_counts_death_up_to_24_hours() -> None:
    obs = InfusionObservation(minutes_since_start=20 * 60, cardiac_arrest_or_death=True)
    assert _ids(lanzoni_infusion_events(InfusionBaseline(), obs)) == ["lanzoni.cardiac_arrest_or_death"]
    late = InfusionObservation(minutes_since_start=25 * 60, cardiac_arrest_or_death=True)
    assert lanzoni_infusion_events(InfusionBaseline(), late) == []


def test_it_refuses_negative_time() -> None:
    with pytest.raises(ValueError, match="minutes_since_start"):
        InfusionObservation(minutes_since_start=-1)


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({"reaction": False}, 0),
        ({"reaction": True}, 1),
        ({"reaction": True, "interruption_or_treatment_indicated": True}, 2),
        ({"reaction": True, "interruption_or_treatment_indicated": True, "prolonged": True}, 3),
        ({"reaction": True, "recurred_after_improvement": True}, 3),
        ({"reaction": True, "hospitalization_indicated": True}, 3),
        ({"reaction": True, "urgent_intervention_indicated": True}, 4),
        ({"reaction": True, "life_threatening": True, "death": True}, 5),
    ],
)
def test_ctcae_infusion_reaction_grades(kwargs: dict[str, bool], grade: int) -> None:
    assert ctcae_infusion_reaction_grade(**kwargs) == grade
