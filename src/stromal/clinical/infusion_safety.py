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

CTCAE v5.0 "Infusion related reaction" (NCI, US DHHS, 27 Nov 2017): grade 1
mild transient, no interruption or intervention; 2 interruption or therapy
indicated but prompt response to symptomatic treatment; 3 prolonged,
recurrent after improvement, or hospitalisation indicated; 4 life-threatening,
urgent intervention indicated; 5 death.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class InfusionBaseline:
    """Values just before the infusion starts. Doses default to 0 (none running)."""

    fio2: float | None = None
    peep_cmh2o: float | None = None
    support: str | None = None  # observation ``support`` choices
    norepinephrine_ug_min: float = 0.0
    phenylephrine_ug_min: float = 0.0
    dopamine_ug_kg_min: float = 0.0
    epinephrine_ug_kg_min: float = 0.0
    epinephrine_ug_min: float = 0.0
    vasopressor_count: int = 0


@dataclass(frozen=True)
class InfusionObservation:
    """One set of vitals/events recorded during or after the infusion."""

    minutes_since_start: float
    fio2: float | None = None
    peep_cmh2o: float | None = None
    spo2_pct: float | None = None
    support: str | None = None
    norepinephrine_ug_min: float = 0.0
    phenylephrine_ug_min: float = 0.0
    dopamine_ug_kg_min: float = 0.0
    epinephrine_ug_kg_min: float = 0.0
    epinephrine_ug_min: float = 0.0
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
    return now > before and now >= threshold


def _vasopressor_hits(
    b: InfusionBaseline, o: InfusionObservation, *, lanzoni: bool, prefix: str, source: str
) -> list[EventHit]:
    drugs: list[tuple[str, float, float, float, str]] = [
        ("norepinephrine", b.norepinephrine_ug_min, o.norepinephrine_ug_min, NOREPINEPHRINE_UG_MIN, "µg/min"),
        ("phenylephrine", b.phenylephrine_ug_min, o.phenylephrine_ug_min, PHENYLEPHRINE_UG_MIN, "µg/min"),
        ("dopamine", b.dopamine_ug_kg_min, o.dopamine_ug_kg_min, DOPAMINE_UG_KG_MIN, "µg/kg/min"),
    ]
    if lanzoni:
        drugs.append(
            ("epinephrine", b.epinephrine_ug_min, o.epinephrine_ug_min, EPINEPHRINE_UG_MIN, "µg/min")
        )
    else:
        drugs.append(
            (
                "epinephrine",
                b.epinephrine_ug_kg_min,
                o.epinephrine_ug_kg_min,
                EPINEPHRINE_UG_KG_MIN,
                "µg/kg/min",
            )
        )
    hits = []
    for name, before, now, threshold, unit in drugs:
        if _rose_to(before, now, threshold):
            hits.append(
                EventHit(
                    f"{prefix}.vasopressor.{name}",
                    f"{name} increased to at least {threshold:g} {unit}",
                    source,
                    {"baseline": before, "now": now},
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
    hits = _vasopressor_hits(baseline, observation, lanzoni=False, prefix="start", source=START_SOURCE)
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
    hits += _vasopressor_hits(b, o, lanzoni=True, prefix="lanzoni", source=LANZONI_SOURCE)
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
