"""Pre-specified infusion-associated events and the CTCAE infusion-reaction grade.

START (Matthay MA et al., Lancet Respir Med 2019;7:154-62,
doi:10.1016/S2213-2600(18)30418-1; NCT02097641), within 6 h of the start of
the infusion:

1. vasopressor increase to at least norepinephrine 10 µg/min, phenylephrine
   100 µg/min, dopamine 10 µg/kg/min or epinephrine 0.1 µg/kg/min, or the
   addition of a third vasopressor;
2. new ventricular tachycardia, ventricular fibrillation or asystole;
3. new arrhythmia requiring cardioversion;
4. hypoxaemia requiring FiO2 +0.2 and PEEP +5 cmH2O to keep SpO2 88-95 %;
5. a clinical picture of transfusion incompatibility or transfusion-related
   infection (e.g. urticaria, new bronchospasm).

Lanzoni variant (Lanzoni G et al., Stem Cells Transl Med 2021,
doi:10.1002/sctm.20-0472; NCT04355728), within 6 h of each infusion: the same
vasopressor thresholds except epinephrine 10 µg/min; on mechanical ventilation
PEEP +5 cmH2O or an FiO2 increase > 0.20 (we read "> 20 %" as 20 percentage
points, as in START); on HFNO, intubation; arrhythmia and transfusion items as
in START; cardiac arrest or death within 24 h.

Interpretation: a vasopressor item fires when the current dose is above the
baseline dose and at or above the threshold ("increase to at least").
Observations outside the window produce no hits.

Units (issue #8, class 3): each vasopressor has ONE canonical unit inside the
rules (``CANONICAL_UNIT``: norepinephrine and phenylephrine µg/min, dopamine
and epinephrine µg/kg/min, the units of the sources' thresholds where they
agree). A dose entered in another unit is converted with ``dose_in`` using the
body weight (µg/kg/min x kg = µg/min); a threshold published in another unit
(Lanzoni's epinephrine 10 µg/min) is converted the same way, with
``InfusionBaseline.weight_kg``. So every rule reads every entered dose, and a
conversion that needs a weight that is not recorded raises
``DoseConversionError`` instead of dropping the value. Converted values are
compared with a relative tolerance of ``DOSE_TOLERANCE`` (1e-9, far below any
rate a pump can set) so that a dose exactly at a threshold in the other unit
is not lost to binary floating point (15 µg/min / 91.4 kg is 0.164 µg/kg/min).

CTCAE v5.0 "Infusion related reaction" (NCI, US DHHS, 27 Nov 2017): grade 1
mild transient, no interruption or intervention; 2 interruption or therapy
indicated but prompt response to symptomatic treatment; 3 prolonged,
recurrent after improvement, or hospitalisation indicated; 4 life-threatening,
urgent intervention indicated; 5 death.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from stromal.clinical.protocol import StoppingRuleSet
from stromal.clinical.validation import ClinicalInputError

START_SOURCE = (
    "Matthay MA et al. Lancet Respir Med 2019;7:154-62, doi:10.1016/S2213-2600(18)30418-1 "
    "(START, NCT02097641): pre-specified infusion-associated events within 6 h"
)
LANZONI_SOURCE = (
    "Lanzoni G et al. Stem Cells Transl Med 2021, doi:10.1002/sctm.20-0472 (NCT04355728): "
    "infusion-associated safety end points within 6 h of each infusion"
)
CTCAE_SOURCE = "CTCAE v5.0 (NCI, 2017), Infusion related reaction"

WINDOW_MINUTES = 6 * 60
LANZONI_DEATH_WINDOW_MINUTES = 24 * 60
NOREPINEPHRINE_UG_MIN = 10.0
PHENYLEPHRINE_UG_MIN = 100.0
DOPAMINE_UG_KG_MIN = 10.0
EPINEPHRINE_UG_KG_MIN = 0.1  # START
EPINEPHRINE_UG_MIN = 10.0  # Lanzoni
FIO2_RISE = 0.2
PEEP_RISE_CMH2O = 5.0
DOSE_TOLERANCE = 1e-9  # relative; absorbs binary floating point in unit conversions only

WEIGHT_NEEDED = (
    "{drug} {value:g} {unit} cannot be compared with the stopping rule in {target} without the "
    "patient's body weight; record the weight (plan or examination) or enter the dose in {target}"
)


class DoseUnit(StrEnum):
    """Vasopressor infusion-rate units the bedside forms accept."""

    UG_MIN = "µg/min"
    UG_KG_MIN = "µg/kg/min"


#: The one unit each vasopressor has inside the rules.
CANONICAL_UNIT: dict[str, DoseUnit] = {
    "norepinephrine": DoseUnit.UG_MIN,
    "phenylephrine": DoseUnit.UG_MIN,
    "dopamine": DoseUnit.UG_KG_MIN,
    "epinephrine": DoseUnit.UG_KG_MIN,
}
VASOPRESSORS: tuple[str, ...] = tuple(CANONICAL_UNIT)


class DoseConversionError(ClinicalInputError):
    """A dose needs the body weight for a unit conversion and none is recorded."""


def dose_in(
    value: float,
    from_unit: DoseUnit,
    to_unit: DoseUnit,
    weight_kg: float | None,
    *,
    drug: str = "dose",
    field: str = "weight_kg",
) -> float:
    """``value`` (an infusion rate in ``from_unit``) expressed in ``to_unit``.

    µg/kg/min x body weight (kg) = µg/min. A zero rate and a same-unit
    "conversion" need no weight.

    Raises:
        DoseConversionError: the units differ, the rate is not zero and
            ``weight_kg`` is ``None`` (keyed by ``field``, the entered dose's
            field where the caller gives it).
        ValueError: ``weight_kg`` is not a positive finite number.
    """
    if from_unit is to_unit or value == 0:
        return value
    if weight_kg is None:
        raise DoseConversionError(
            field,
            value if field != "weight_kg" else None,
            WEIGHT_NEEDED.format(drug=drug, value=value, unit=from_unit.value, target=to_unit.value),
        )
    if not (math.isfinite(weight_kg) and weight_kg > 0):
        raise ValueError(f"weight_kg must be a positive number, got {weight_kg!r}")
    if from_unit is DoseUnit.UG_KG_MIN:
        return value * weight_kg
    return value / weight_kg


@dataclass(frozen=True)
class VasopressorThreshold:
    """One "increase to at least" item of a rule set, in the unit its source gives."""

    drug: str
    value: float
    unit: DoseUnit


#: Every vasopressor item of every rule set, as published.
VASOPRESSOR_THRESHOLDS: dict[StoppingRuleSet, tuple[VasopressorThreshold, ...]] = {
    StoppingRuleSet.START: (
        VasopressorThreshold("norepinephrine", NOREPINEPHRINE_UG_MIN, DoseUnit.UG_MIN),
        VasopressorThreshold("phenylephrine", PHENYLEPHRINE_UG_MIN, DoseUnit.UG_MIN),
        VasopressorThreshold("dopamine", DOPAMINE_UG_KG_MIN, DoseUnit.UG_KG_MIN),
        VasopressorThreshold("epinephrine", EPINEPHRINE_UG_KG_MIN, DoseUnit.UG_KG_MIN),
    ),
    StoppingRuleSet.LANZONI: (
        VasopressorThreshold("norepinephrine", NOREPINEPHRINE_UG_MIN, DoseUnit.UG_MIN),
        VasopressorThreshold("phenylephrine", PHENYLEPHRINE_UG_MIN, DoseUnit.UG_MIN),
        VasopressorThreshold("dopamine", DOPAMINE_UG_KG_MIN, DoseUnit.UG_KG_MIN),
        VasopressorThreshold("epinephrine", EPINEPHRINE_UG_MIN, DoseUnit.UG_MIN),
    ),
}


@dataclass(frozen=True)
class InfusionBaseline:
    """Values just before the infusion starts. Doses default to 0 (none running),
    each in its drug's ``CANONICAL_UNIT``; ``weight_kg`` (actual body weight)
    converts thresholds published in another unit."""

    fio2: float | None = None
    peep_cmh2o: float | None = None
    support: str | None = None  # observation ``support`` choices
    norepinephrine_ug_min: float = 0.0
    phenylephrine_ug_min: float = 0.0
    dopamine_ug_kg_min: float = 0.0
    epinephrine_ug_kg_min: float = 0.0
    vasopressor_count: int = 0
    weight_kg: float | None = None


@dataclass(frozen=True)
class InfusionObservation:
    """One set of vitals/events recorded during or after the infusion (doses in ``CANONICAL_UNIT``)."""

    minutes_since_start: float
    fio2: float | None = None
    peep_cmh2o: float | None = None
    spo2_pct: float | None = None
    support: str | None = None
    norepinephrine_ug_min: float = 0.0
    phenylephrine_ug_min: float = 0.0
    dopamine_ug_kg_min: float = 0.0
    epinephrine_ug_kg_min: float = 0.0
    vasopressor_count: int = 0
    new_vt_vf_or_asystole: bool = False
    new_arrhythmia_requiring_cardioversion: bool = False
    urticaria: bool = False
    new_bronchospasm: bool = False
    transfusion_reaction_suspected: bool = False
    cardiac_arrest_or_death: bool = False

    def __post_init__(self) -> None:
        if self.minutes_since_start < 0:
            raise ValueError("minutes_since_start must be >= 0")


@dataclass(frozen=True)
class EventHit:
    rule_id: str
    description: str
    source: str
    observed: object = None

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "description": self.description,
            "source": self.source,
            "observed": self.observed,
        }


def _rose_to(before: float, now: float, threshold: float) -> bool:
    """An "increase to at least": above the baseline and at or above the threshold.

    The threshold comparison allows ``DOSE_TOLERANCE`` (relative) for doses
    converted between units."""
    return now > before and now >= threshold * (1 - DOSE_TOLERANCE)


def _canonical_dose(source: InfusionBaseline | InfusionObservation, drug: str) -> float:
    unit = "ug_min" if CANONICAL_UNIT[drug] is DoseUnit.UG_MIN else "ug_kg_min"
    value: float = getattr(source, f"{drug}_{unit}")
    return value


def _vasopressor_hits(
    b: InfusionBaseline, o: InfusionObservation, rule_set: StoppingRuleSet, prefix: str, source: str
) -> list[EventHit]:
    hits = []
    for item in VASOPRESSOR_THRESHOLDS[rule_set]:
        unit = CANONICAL_UNIT[item.drug]
        before, now = _canonical_dose(b, item.drug), _canonical_dose(o, item.drug)
        if now <= before:
            continue
        threshold = dose_in(item.value, item.unit, unit, b.weight_kg, drug=f"{item.drug} threshold")
        if _rose_to(before, now, threshold):
            hits.append(
                EventHit(
                    f"{prefix}.vasopressor.{item.drug}",
                    f"{item.drug} increased to at least {item.value:g} {item.unit.value}",
                    source,
                    {"baseline": before, "now": now, "unit": unit.value},
                )
            )
    if o.vasopressor_count >= 3 > b.vasopressor_count:
        hits.append(
            EventHit(
                f"{prefix}.vasopressor.third_agent",
                "addition of a third vasopressor",
                source,
                {"baseline": b.vasopressor_count, "now": o.vasopressor_count},
            )
        )
    return hits


def _shared_hits(o: InfusionObservation, prefix: str, source: str) -> list[EventHit]:
    hits = []
    if o.new_vt_vf_or_asystole:
        hits.append(EventHit(f"{prefix}.vt_vf_asystole", "new VT, VF or asystole", source))
    if o.new_arrhythmia_requiring_cardioversion:
        hits.append(EventHit(f"{prefix}.cardioversion", "new arrhythmia requiring cardioversion", source))
    signs = [
        name
        for name, present in (
            ("urticaria", o.urticaria),
            ("new_bronchospasm", o.new_bronchospasm),
            ("transfusion_reaction_suspected", o.transfusion_reaction_suspected),
        )
        if present
    ]
    if signs:
        hits.append(
            EventHit(
                f"{prefix}.transfusion_reaction",
                "clinical picture of transfusion incompatibility or transfusion-related infection",
                source,
                signs,
            )
        )
    return hits


def start_infusion_events(baseline: InfusionBaseline, observation: InfusionObservation) -> list[EventHit]:
    """START pre-specified infusion-associated events for one observation (empty list: none)."""
    if observation.minutes_since_start > WINDOW_MINUTES:
        return []
    hits = _vasopressor_hits(baseline, observation, StoppingRuleSet.START, "start", START_SOURCE)
    hits += _shared_hits(observation, "start", START_SOURCE)
    b, o = baseline, observation
    if (
        b.fio2 is not None
        and o.fio2 is not None
        and b.peep_cmh2o is not None
        and o.peep_cmh2o is not None
        # A small tolerance so 0.4 -> 0.6 counts despite binary floating point.
        and o.fio2 - b.fio2 >= FIO2_RISE - 1e-9
        and o.peep_cmh2o - b.peep_cmh2o >= PEEP_RISE_CMH2O
    ):
        hits.append(
            EventHit(
                "start.hypoxemia",
                "hypoxaemia requiring FiO2 +0.2 and PEEP +5 cmH2O to keep SpO2 88-95 %",
                START_SOURCE,
                {
                    "fio2": [b.fio2, o.fio2],
                    "peep_cmh2o": [b.peep_cmh2o, o.peep_cmh2o],
                    "spo2_pct": o.spo2_pct,
                },
            )
        )
    return hits


def lanzoni_infusion_events(baseline: InfusionBaseline, observation: InfusionObservation) -> list[EventHit]:
    """Lanzoni 2021 infusion-associated events for one observation (empty list: none)."""
    b, o = baseline, observation
    hits: list[EventHit] = []
    if o.cardiac_arrest_or_death and o.minutes_since_start <= LANZONI_DEATH_WINDOW_MINUTES:
        hits.append(
            EventHit("lanzoni.cardiac_arrest_or_death", "cardiac arrest or death within 24 h", LANZONI_SOURCE)
        )
    if o.minutes_since_start > WINDOW_MINUTES:
        return hits
    hits += _vasopressor_hits(b, o, StoppingRuleSet.LANZONI, "lanzoni", LANZONI_SOURCE)
    hits += _shared_hits(o, "lanzoni", LANZONI_SOURCE)
    if b.support == "invasive":
        peep_rise = (
            b.peep_cmh2o is not None
            and o.peep_cmh2o is not None
            and o.peep_cmh2o - b.peep_cmh2o >= PEEP_RISE_CMH2O
        )
        fio2_rise = b.fio2 is not None and o.fio2 is not None and o.fio2 - b.fio2 > FIO2_RISE + 1e-9
        if peep_rise or fio2_rise:
            hits.append(
                EventHit(
                    "lanzoni.ventilation",
                    "on mechanical ventilation: PEEP +5 cmH2O or FiO2 increase > 0.20",
                    LANZONI_SOURCE,
                    {"fio2": [b.fio2, o.fio2], "peep_cmh2o": [b.peep_cmh2o, o.peep_cmh2o]},
                )
            )
    if b.support == "hfno" and o.support == "invasive":
        hits.append(EventHit("lanzoni.intubation", "on HFNO: intubation", LANZONI_SOURCE))
    return hits


def infusion_events(
    rule_set: StoppingRuleSet, baseline: InfusionBaseline, observation: InfusionObservation
) -> list[EventHit]:
    """The pre-specified events of ``rule_set`` (the protocol's) fired by one observation.

    Raises:
        DoseConversionError: a vasopressor rose and its threshold is published
            in another unit, but ``baseline.weight_kg`` is not recorded.
    """
    if rule_set is StoppingRuleSet.LANZONI:
        return lanzoni_infusion_events(baseline, observation)
    return start_infusion_events(baseline, observation)


def ctcae_infusion_reaction_grade(
    *,
    reaction: bool,
    death: bool = False,
    life_threatening: bool = False,
    urgent_intervention_indicated: bool = False,
    prolonged: bool = False,
    recurred_after_improvement: bool = False,
    hospitalization_indicated: bool = False,
    interruption_or_treatment_indicated: bool = False,
) -> int:
    """CTCAE v5.0 infusion-related reaction grade 0-5 (0: no reaction).

    ``prolonged`` means not rapidly responsive to symptomatic medication and/or
    a brief interruption. The highest grade whose description applies wins.
    """
    if death:
        return 5
    if life_threatening or urgent_intervention_indicated:
        return 4
    if prolonged or recurred_after_improvement or hospitalization_indicated:
        return 3
    if interruption_or_treatment_indicated:
        return 2
    return 1 if reaction else 0
