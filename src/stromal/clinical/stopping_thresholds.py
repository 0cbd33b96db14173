"""The numeric limits of a stopping-rule set, as lines a chart can draw.

``infusion_safety`` decides whether one set of vitals fires a pre-specified
event; this module says, for one administration's baseline, at which value of
each vital sign that happens, so a chart of the session's vitals can show
the limit next to the values. Both read the same constants
(``infusion_safety.VASOPRESSOR_THRESHOLDS``, ``FIO2_RISE``,
``PEEP_RISE_CMH2O``, ``WINDOW_MINUTES``), and ``tests/clinical`` checks that
a value on each line fires its rule and a value just inside it does not.

Sources: START (Matthay MA et al., Lancet Respir Med 2019;7:154-62,
doi:10.1016/S2213-2600(18)30418-1) and Lanzoni G et al., Stem Cells Transl
Med 2021, doi:10.1002/sctm.20-0472 (see ``infusion_safety``).

Only limits on one numeric vital sign are lines. Events that are observed,
not measured (arrhythmia, urticaria, intubation, cardiac arrest), have no
line; they show where they were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from stromal.clinical.infusion_safety import (
    CANONICAL_UNIT,
    FIO2_RISE,
    LANZONI_SOURCE,
    PEEP_RISE_CMH2O,
    START_SOURCE,
    VASOPRESSOR_THRESHOLDS,
    WINDOW_MINUTES,
    DoseConversionError,
    DoseUnit,
    InfusionBaseline,
    dose_in,
)
from stromal.clinical.protocol import StoppingRuleSet

#: A third vasopressor fires START's and Lanzoni's vasopressor item (both sources).
THIRD_AGENT = 3


@dataclass(frozen=True)
class StoppingThreshold:
    """One limit of one vital sign during an administration.

    ``field`` is the vitals key in the rules' unit (vasopressors in their
    ``CANONICAL_UNIT``: ``norepinephrine_ug_min``, ``epinephrine_ug_kg_min``);
    ``value`` is in ``unit``, or ``None`` when it cannot be placed (a threshold
    published in another unit and no body weight recorded); ``inclusive``:
    reaching the value fires the rule (``>=``), else only exceeding it (``>``).
    ``together_with`` names the other limit the rule needs at the same time
    (START's hypoxaemia item needs both the FiO2 and the PEEP rise), or ``""``.
    """

    field: str
    value: float | None
    unit: str
    inclusive: bool
    rule_id: str
    description: str
    source: str
    together_with: str = ""


@dataclass(frozen=True)
class StoppingLimits:
    """The limits of one rule set for one baseline, and the window they apply in (minutes from the start)."""

    rule_set: StoppingRuleSet
    window_minutes: float
    thresholds: tuple[StoppingThreshold, ...]

    def for_field(self, field: str) -> tuple[StoppingThreshold, ...]:
        return tuple(t for t in self.thresholds if t.field == field)


def _plus(baseline: float, rise: float) -> float:
    """A baseline plus a rise, without binary floating-point noise (0.4 + 0.2 is 0.6, not 0.6000000000000001)."""
    return round(baseline + rise, 9)


def canonical_dose_field(drug: str) -> str:
    """The vitals key of ``drug`` in its canonical unit (``norepinephrine_ug_min``)."""
    return f"{drug}_ug_min" if CANONICAL_UNIT[drug] is DoseUnit.UG_MIN else f"{drug}_ug_kg_min"


def _dose_before(baseline: InfusionBaseline, drug: str) -> float:
    before: float = getattr(baseline, canonical_dose_field(drug))
    return before


def _vasopressor_limits(
    rule_set: StoppingRuleSet, baseline: InfusionBaseline, prefix: str, source: str
) -> list[StoppingThreshold]:
    limits = []
    for item in VASOPRESSOR_THRESHOLDS[rule_set]:
        unit = CANONICAL_UNIT[item.drug]
        field = canonical_dose_field(item.drug)
        rule_id = f"{prefix}.vasopressor.{item.drug}"
        published = f"{item.drug} increased to at least {item.value:g} {item.unit.value}"
        try:
            threshold = dose_in(item.value, item.unit, unit, baseline.weight_kg, drug=item.drug)
        except DoseConversionError:
            limits.append(
                StoppingThreshold(
                    field, None, unit.value, True, rule_id, f"{published}; needs the body weight", source
                )
            )
            continue
        before = _dose_before(baseline, item.drug)
        # "Increase to at least": above the baseline and at or above the threshold
        # (infusion_safety._rose_to), so a baseline already at the threshold moves the line to it.
        if before >= threshold:
            limits.append(
                StoppingThreshold(
                    field,
                    before,
                    unit.value,
                    False,
                    rule_id,
                    f"{published}: the baseline is already at {before:g} {unit.value}, so any increase",
                    source,
                )
            )
        else:
            limits.append(StoppingThreshold(field, threshold, unit.value, True, rule_id, published, source))
    if baseline.vasopressor_count < THIRD_AGENT:
        limits.append(
            StoppingThreshold(
                "vasopressor_count",
                float(THIRD_AGENT),
                "agents",
                True,
                f"{prefix}.vasopressor.third_agent",
                "addition of a third vasopressor",
                source,
            )
        )
    return limits


def _start_limits(baseline: InfusionBaseline) -> list[StoppingThreshold]:
    limits = _vasopressor_limits(StoppingRuleSet.START, baseline, "start", START_SOURCE)
    if baseline.fio2 is not None and baseline.peep_cmh2o is not None:
        fio2, peep = _plus(baseline.fio2, FIO2_RISE), _plus(baseline.peep_cmh2o, PEEP_RISE_CMH2O)
        text = "hypoxaemia requiring FiO2 +0.2 and PEEP +5 cmH2O to keep SpO2 88-95 %"
        limits += [
            StoppingThreshold(
                "fio2",
                fio2,
                "fraction",
                True,
                "start.hypoxemia",
                f"{text}: FiO2 {baseline.fio2:g} + {FIO2_RISE:g}",
                START_SOURCE,
                together_with=f"PEEP at least {peep:g} cmH2O",
            ),
            StoppingThreshold(
                "peep_cmh2o",
                peep,
                "cmH2O",
                True,
                "start.hypoxemia",
                f"{text}: PEEP {baseline.peep_cmh2o:g} + {PEEP_RISE_CMH2O:g} cmH2O",
                START_SOURCE,
                together_with=f"FiO2 at least {fio2:g}",
            ),
        ]
    return limits


def _lanzoni_limits(baseline: InfusionBaseline) -> list[StoppingThreshold]:
    limits = _vasopressor_limits(StoppingRuleSet.LANZONI, baseline, "lanzoni", LANZONI_SOURCE)
    if baseline.support != "invasive":
        return limits
    text = "on mechanical ventilation: PEEP +5 cmH2O or FiO2 increase > 0.20"
    if baseline.peep_cmh2o is not None:
        limits.append(
            StoppingThreshold(
                "peep_cmh2o",
                _plus(baseline.peep_cmh2o, PEEP_RISE_CMH2O),
                "cmH2O",
                True,
                "lanzoni.ventilation",
                f"{text}: PEEP {baseline.peep_cmh2o:g} + {PEEP_RISE_CMH2O:g} cmH2O",
                LANZONI_SOURCE,
            )
        )
    if baseline.fio2 is not None:
        limits.append(
            StoppingThreshold(
                "fio2",
                _plus(baseline.fio2, FIO2_RISE),
                "fraction",
                False,
                "lanzoni.ventilation",
                f"{text}: FiO2 above {baseline.fio2:g} + {FIO2_RISE:g}",
                LANZONI_SOURCE,
            )
        )
    return limits


def stopping_limits(rule_set: StoppingRuleSet, baseline: InfusionBaseline) -> StoppingLimits:
    """The numeric limits of ``rule_set`` (a protocol's ``stopping_rules``) for one baseline.

    Args:
        rule_set: the protocol's pre-specified events (START or Lanzoni).
        baseline: the administration's baseline vitals, doses in their
            ``CANONICAL_UNIT``; ``weight_kg`` places a threshold published in
            another unit (Lanzoni's epinephrine 10 µg/min).

    Returns:
        The limits (relative ones already added to the baseline: FiO2 + 0.2,
        PEEP + 5 cmH2O) and the window (minutes from the start) in which
        they apply.
    """
    thresholds = _lanzoni_limits(baseline) if rule_set is StoppingRuleSet.LANZONI else _start_limits(baseline)
    return StoppingLimits(rule_set, float(WINDOW_MINUTES), tuple(thresholds))
