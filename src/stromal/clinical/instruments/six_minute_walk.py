"""Six-minute walk test: distance against Enright & Sherrill 1998.

Test conduct and what is recorded (SpO2 at the start and its lowest value,
Borg CR10 dyspnoea and fatigue 0-10 at the start and the end, supplemental
oxygen and its flow) follow the ATS Statement: Guidelines for the Six-Minute
Walk Test. Am J Respir Crit Care Med 2002;166(1):111-7,
doi:10.1164/ajrccm.166.1.at1102.

The distance is compared with the reference equation of Enright PL, Sherrill
DL. Reference equations for the six-minute walk in healthy adults. Am J Respir
Crit Care Med 1998;158(5):1384-7, doi:10.1164/ajrccm.158.5.9710086, through
``stromal.clinical.reference_values`` (predicted, % predicted, and the lower
limit of normal that module documents as not verified against the paper). The
equation was derived in healthy adults aged 40-80 years; outside that age the
result is an extrapolation and ``outside_reference_population`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping

from stromal.clinical.instruments.base import (
    Condition,
    Instrument,
    Item,
    ItemKind,
    ScoreValue,
    Subject,
    Value,
    item_from_field,
    number,
    subject_sex,
    subject_value,
)
from stromal.clinical.observations import FIELDS
from stromal.clinical.reference_values import (
    six_minute_walk_lln_m,
    six_minute_walk_percent_predicted,
    six_minute_walk_predicted_m,
)

EQUATION = "enright_sherrill_1998"
#: Ages (years, inclusive) of the healthy adults the equation was derived in.
REFERENCE_AGE_YEARS = (40.0, 80.0)

_BORG = "Borg CR10 scale (0 nothing at all - 10 maximal)"


def _borg(name: str, when: str, what: str, *, required: bool) -> Item:
    return Item(name, ItemKind.NUMBER, f"{what} {when} ({_BORG})", "Borg points", 0, 10, required=required)


def outside_reference_population(age_years: float) -> bool:
    """True when the age lies outside 40-80 years, where Enright & Sherrill extrapolates."""
    low, high = REFERENCE_AGE_YEARS
    return not low <= age_years <= high


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """Distance against the Enright & Sherrill reference.

    Returns ``distance_m``, ``predicted_m``, ``percent_predicted``, ``lln_m``,
    ``below_lln`` (distance < LLN), ``spo2_drop_pct`` (start - lowest),
    ``equation`` and ``outside_reference_population``. Raises
    ``ClinicalInputError`` when the subject's sex, age, height or weight is
    invalid or the equation gives no positive prediction.
    """
    age = subject_value(subject, "age_years", "six_minute_walk")
    args = (
        subject_sex(subject, "six_minute_walk"),
        age,
        subject_value(subject, "height_cm", "six_minute_walk"),
        subject_value(subject, "weight_kg", "six_minute_walk"),
    )
    distance = number(answers, "six_minute_walk_m")
    lln = six_minute_walk_lln_m(*args)
    return {
        "distance_m": distance,
        "predicted_m": six_minute_walk_predicted_m(*args),
        "percent_predicted": six_minute_walk_percent_predicted(distance, *args),
        "lln_m": lln,
        "below_lln": distance < lln,
        "spo2_drop_pct": number(answers, "spo2_start_pct") - number(answers, "spo2_nadir_pct"),
        "equation": EQUATION,
        "outside_reference_population": outside_reference_population(age),
    }


_SPO2 = FIELDS["spo2_pct"]

INSTRUMENT = Instrument(
    code="six_minute_walk",
    version="1",
    title="Six-minute walk test",
    source=(
        "ATS Statement: Guidelines for the Six-Minute Walk Test. Am J Respir Crit Care Med "
        "2002;166(1):111-7. doi:10.1164/ajrccm.166.1.at1102; reference: Enright PL, Sherrill DL. Am J "
        "Respir Crit Care Med 1998;158(5):1384-7. doi:10.1164/ajrccm.158.5.9710086"
    ),
    licence="Test procedure and reference equation are published; nothing licensed is shipped.",
    items=(
        item_from_field(FIELDS["six_minute_walk_m"], label="distance walked in six minutes"),
        item_from_field(_SPO2, name="spo2_start_pct", label="SpO2 at the start, at rest"),
        item_from_field(_SPO2, name="spo2_nadir_pct", label="lowest SpO2 during the walk"),
        _borg("borg_dyspnoea_start", "at the start", "dyspnoea", required=False),
        _borg("borg_dyspnoea_end", "at the end", "dyspnoea", required=True),
        _borg("borg_fatigue_start", "at the start", "overall fatigue", required=False),
        _borg("borg_fatigue_end", "at the end", "overall fatigue", required=True),
        Item("oxygen_used", ItemKind.BOOLEAN, "supplemental oxygen during the walk"),
        Item(
            "oxygen_flow_l_min",
            ItemKind.NUMBER,
            "supplemental oxygen flow during the walk",
            "L/min",
            0.1,
            15,
            shown_when=Condition("oxygen_used", "==", True),
        ),
    ),
    scorer=score,
    needs_subject=("sex", "age_years", "height_cm", "weight_kg"),
)
