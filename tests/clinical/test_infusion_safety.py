"""START and Lanzoni infusion-associated events; CTCAE infusion-reaction grade."""

from __future__ import annotations

import pytest

from stromal.clinical.infusion_safety import (
    InfusionBaseline,
    InfusionObservation,
    ctcae_infusion_reaction_grade,
    lanzoni_infusion_events,
    start_infusion_events,
)

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


def test_lanzoni_uses_epinephrine_in_ug_per_min() -> None:
    obs = InfusionObservation(minutes_since_start=10, epinephrine_ug_min=10)
    assert _ids(lanzoni_infusion_events(InfusionBaseline(), obs)) == ["lanzoni.vasopressor.epinephrine"]
    assert start_infusion_events(InfusionBaseline(), obs) == []


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
