"""Vitals during an administration and the stopping rules evaluated on them.

Field ranges reuse ``stromal.clinical.observations.FIELDS`` where the key
exists there; the few bedside-only keys (vasopressor doses in µg/min, event
flags) are declared here with the same ``FieldSpec`` so validation and error
messages are identical. The rules themselves are
``stromal.clinical.infusion_safety`` (START, Matthay 2019; Lanzoni 2021).

Vasopressors may be entered in µg/min or µg/kg/min (``DOSE_FIELDS``); what
was entered is stored as entered, and every dose is converted to the rules'
one canonical unit per drug (``infusion_safety.CANONICAL_UNIT``) with the
session's body weight before any rule reads it (issue #8, class 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stromal.clinical.infusion_safety import (
    CANONICAL_UNIT,
    DoseUnit,
    EventHit,
    InfusionBaseline,
    InfusionObservation,
    dose_in,
    infusion_events,
)
from stromal.clinical.observations import FIELDS
from stromal.clinical.protocol import StoppingRuleSet
from stromal.clinical.validation import ClinicalInputError, FieldSpec, Kind, check_value

ONE_UNIT_PER_DRUG = "enter the {drug} dose in one unit only (also entered as {other})"
DIASTOLIC_NOT_BELOW_SYSTOLIC = "must be lower than the systolic blood pressure ({systolic:g} mmHg)"
BASELINE_NEEDS = "is needed at baseline (the stopping rules compare later vitals with it)"


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
    FIELDS["norepinephrine_ug_kg_min"],
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

#: Every vasopressor dose field the forms accept: the drug and the unit it is entered in.
DOSE_FIELDS: dict[str, tuple[str, DoseUnit]] = {
    f"{drug}_{suffix}": (drug, unit)
    for drug in CANONICAL_UNIT
    for suffix, unit in (("ug_min", DoseUnit.UG_MIN), ("ug_kg_min", DoseUnit.UG_KG_MIN))
    if f"{drug}_{suffix}" in ALL_SPECS
}
#: Baseline vitals: every vital sign (no event flags); these must be measured.
BASELINE_SPECS: tuple[FieldSpec, ...] = VITAL_SPECS
BASELINE_REQUIRED: tuple[str, ...] = (
    "heart_rate_bpm",
    "systolic_bp_mmhg",
    "diastolic_bp_mmhg",
    "respiratory_rate_per_min",
    "spo2_pct",
    "temperature_c",
)


def canonical_field(drug: str) -> str:
    """The rules' field for ``drug``: its name and its ``CANONICAL_UNIT``."""
    return f"{drug}_ug_min" if CANONICAL_UNIT[drug] is DoseUnit.UG_MIN else f"{drug}_ug_kg_min"


def validate_vitals(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checked values (``None`` = not measured, dropped); unknown keys refused by name.

    Each value must pass its field's range; the diastolic pressure must be
    below the systolic; a vasopressor is entered in one unit only.

    Raises:
        ClinicalInputError: naming the field and the rule.
    """
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        spec = ALL_SPECS.get(key)
        if spec is None:
            raise ClinicalInputError(key, value, "unknown vitals key")
        if value is None:
            continue
        clean[key] = check_value(spec, value)
    systolic, diastolic = clean.get("systolic_bp_mmhg"), clean.get("diastolic_bp_mmhg")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise ClinicalInputError(
            "diastolic_bp_mmhg", diastolic, DIASTOLIC_NOT_BELOW_SYSTOLIC.format(systolic=systolic)
        )
    seen: dict[str, str] = {}
    for field, (drug, _unit) in DOSE_FIELDS.items():
        if field in clean:
            if drug in seen:
                raise ClinicalInputError(
                    field, clean[field], ONE_UNIT_PER_DRUG.format(drug=drug, other=seen[drug])
                )
            seen[drug] = field
    return clean


def validate_baseline(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``validate_vitals`` plus the vital signs every baseline needs (``BASELINE_REQUIRED``)."""
    clean = validate_vitals(raw)
    for key in BASELINE_REQUIRED:
        if clean.get(key) is None:
            raise ClinicalInputError(key, None, BASELINE_NEEDS)
    return clean


def canonical_doses(values: Mapping[str, Any], weight_kg: float | None) -> dict[str, float]:
    """Every entered vasopressor dose in its drug's canonical unit (``canonical_field`` keys).

    A dose entered in another unit is converted with the body weight; none is
    ever dropped.

    Raises:
        ClinicalInputError: keyed by the entered field, when the conversion
            needs ``weight_kg`` and it is ``None``.
    """
    out: dict[str, float] = {}
    for field, (drug, unit) in DOSE_FIELDS.items():
        value = values.get(field)
        if value is None:
            continue
        out[canonical_field(drug)] = dose_in(
            float(value), unit, CANONICAL_UNIT[drug], weight_kg, drug=drug, field=field
        )
    return out


def _plain(values: Mapping[str, Any], names: set[str]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in names and k not in DOSE_FIELDS and v is not None}


def baseline_from(values: Mapping[str, Any], weight_kg: float | None) -> InfusionBaseline:
    names = set(InfusionBaseline.__dataclass_fields__) - {"weight_kg"}
    kwargs = {**_plain(values, names), **canonical_doses(values, weight_kg)}
    return InfusionBaseline(weight_kg=weight_kg, **kwargs)


def observation_from(
    values: Mapping[str, Any], minutes_since_start: float, weight_kg: float | None
) -> InfusionObservation:
    names = set(InfusionObservation.__dataclass_fields__) - {"minutes_since_start"}
    kwargs = {**_plain(values, names), **canonical_doses(values, weight_kg)}
    return InfusionObservation(minutes_since_start=minutes_since_start, **kwargs)


def stopping_rule_hits(
    rule_set: StoppingRuleSet | str,
    baseline: Mapping[str, Any],
    values: Mapping[str, Any],
    minutes_since_start: float,
    weight_kg: float | None,
) -> list[EventHit]:
    """The protocol's pre-specified events fired by one set of vitals (empty: carry on).

    Doses are read in whatever unit they were entered (``DOSE_FIELDS``) and
    converted to the rules' canonical units with ``weight_kg`` (actual body
    weight, kg).

    Raises:
        ClinicalInputError: a conversion needs the weight and none is recorded.
    """
    base = baseline_from(baseline, weight_kg)
    obs = observation_from(values, minutes_since_start, weight_kg)
    return infusion_events(StoppingRuleSet(rule_set), base, obs)
