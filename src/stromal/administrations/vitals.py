"""Vitals during an administration and the stopping rules evaluated on them.

Field ranges reuse ``stromal.clinical.observations.FIELDS`` where the key
exists there; the few bedside-only keys (vasopressor doses in µg/min, event
flags) are declared here with the same ``FieldSpec`` so validation and error
messages are identical. The rules themselves are
``stromal.clinical.infusion_safety`` (START, Matthay 2019; Lanzoni 2021).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stromal.clinical.infusion_safety import (
    EventHit,
    InfusionBaseline,
    InfusionObservation,
    lanzoni_infusion_events,
    start_infusion_events,
)
from stromal.clinical.observations import FIELDS
from stromal.clinical.protocol import StoppingRuleSet
from stromal.clinical.validation import ClinicalInputError, FieldSpec, Kind, check_value


def _n(name: str, unit: str, lo: float, hi: float, text: str) -> FieldSpec:
    return FIELDS.get(name) or FieldSpec(name, Kind.NUMBER, unit, text, lo, hi)


def _b(name: str, text: str) -> FieldSpec:
    return FieldSpec(name, Kind.BOOLEAN, "", text)


VITAL_SPECS: tuple[FieldSpec, ...] = (
    _n("heart_rate_bpm", "/min", 20, 250, "heart rate"),
    _n("systolic_bp_mmhg", "mmHg", 40, 300, "systolic blood pressure"),
    _n("diastolic_bp_mmhg", "mmHg", 20, 200, "diastolic blood pressure"),
    _n("respiratory_rate_per_min", "/min", 4, 80, "respiratory rate"),
    FIELDS["spo2_pct"],
    FIELDS["temperature_c"],
    FIELDS["fio2"],
    FIELDS["peep_cmh2o"],
    FIELDS["support"],
    _n("norepinephrine_ug_min", "µg/min", 0, 200, "norepinephrine dose"),
    _n("phenylephrine_ug_min", "µg/min", 0, 2000, "phenylephrine dose"),
    FIELDS["dopamine_ug_kg_min"],
    FIELDS["epinephrine_ug_kg_min"],
    _n("epinephrine_ug_min", "µg/min", 0, 200, "epinephrine dose"),
    FieldSpec("vasopressor_count", Kind.INTEGER, "agents", "number of vasopressors running", 0, 5),
)
EVENT_SPECS: tuple[FieldSpec, ...] = (
    _b("new_vt_vf_or_asystole", "new ventricular tachycardia, fibrillation or asystole"),
    _b("new_arrhythmia_requiring_cardioversion", "new arrhythmia requiring cardioversion"),
    _b("urticaria", "urticaria"),
    _b("new_bronchospasm", "new bronchospasm"),
    _b("transfusion_reaction_suspected", "suspected transfusion incompatibility or infection"),
    _b("cardiac_arrest_or_death", "cardiac arrest or death"),
)
ALL_SPECS: dict[str, FieldSpec] = {s.name: s for s in VITAL_SPECS + EVENT_SPECS}
BASELINE_KEYS = (
    "fio2",
    "peep_cmh2o",
    "support",
    "norepinephrine_ug_min",
    "phenylephrine_ug_min",
    "dopamine_ug_kg_min",
    "epinephrine_ug_kg_min",
    "epinephrine_ug_min",
    "vasopressor_count",
)


def validate_vitals(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checked values (``None`` = not measured, dropped); unknown keys refused by name."""
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        spec = ALL_SPECS.get(key)
        if spec is None:
            raise ClinicalInputError(key, value, "unknown vitals key")
        if value is None:
            continue
        clean[key] = check_value(spec, value)
    return clean


def baseline_from(values: Mapping[str, Any]) -> InfusionBaseline:
    kwargs = {k: values[k] for k in BASELINE_KEYS if values.get(k) is not None}
    return InfusionBaseline(**kwargs)


def observation_from(values: Mapping[str, Any], minutes_since_start: float) -> InfusionObservation:
    names = set(InfusionObservation.__dataclass_fields__) - {"minutes_since_start"}
    kwargs = {k: v for k, v in values.items() if k in names and v is not None}
    return InfusionObservation(minutes_since_start=minutes_since_start, **kwargs)


def stopping_rule_hits(
    rule_set: StoppingRuleSet | str,
    baseline: Mapping[str, Any],
    values: Mapping[str, Any],
    minutes_since_start: float,
) -> list[EventHit]:
    """The protocol's pre-specified events fired by one set of vitals (empty: carry on)."""
    base = baseline_from(baseline)
    obs = observation_from(values, minutes_since_start)
    if StoppingRuleSet(rule_set) is StoppingRuleSet.LANZONI:
        return lanzoni_infusion_events(base, obs)
    return start_infusion_events(base, obs)
