"""RAND 36-Item Health Survey 1.0, scored by RAND's published algorithm.

Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health Survey 1.0. Health
Econ 1993;2(3):217-27, doi:10.1002/hec.4730020305; scoring per RAND's
"Medical Outcomes Study: 36-Item Short Form Survey Scoring Instructions"
(https://www.rand.org/health/surveys_tools/mos/mos_core_36item_scoring.html):

1. each precoded answer is recoded to 0-100 by Table 1 (a high score is the
   more favourable health state);
2. the recoded items of a scale are averaged (Table 2) into eight scales.
   Items left blank are not counted, so a scale is the mean of the items
   answered; a scale with no item answered has no score.

Item 2 (health compared with a year ago) belongs to no scale; its recoded
value is reported as ``health_change``. This is the RAND scoring, not the
norm-based SF-36 (MOS/QualityMetric) scoring, and must be reported as RAND-36.

The 36 item texts are RAND's: they are not shipped here (labels below are
short descriptions); administer RAND's own form and enter its precoded answers.
"""

from __future__ import annotations

from collections.abc import Mapping

from stromal.clinical.instruments.base import Instrument, Item, ItemKind, ScoreValue, Subject, Value, whole

#: Table 1: precoded answer (1, 2, ...) -> recoded value, by group of items.
RECODE: dict[tuple[int, ...], tuple[float, ...]] = {
    (1, 2, 20, 22, 34, 36): (100, 75, 50, 25, 0),
    (3, 4, 5, 6, 7, 8, 9, 10, 11, 12): (0, 50, 100),
    (13, 14, 15, 16, 17, 18, 19): (0, 100),
    (21, 23, 26, 27, 30): (100, 80, 60, 40, 20, 0),
    (24, 25, 28, 29, 31): (0, 20, 40, 60, 80, 100),
    (32, 33, 35): (0, 25, 50, 75, 100),
}

#: Table 2: the items averaged into each scale.
SCALES: dict[str, tuple[int, ...]] = {
    "physical_functioning": (3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
    "role_limitations_physical": (13, 14, 15, 16),
    "role_limitations_emotional": (17, 18, 19),
    "energy_fatigue": (23, 27, 29, 31),
    "emotional_wellbeing": (24, 25, 26, 28, 30),
    "social_functioning": (20, 32),
    "pain": (21, 22),
    "general_health": (1, 33, 34, 35, 36),
}

_RECODE_BY_ITEM: dict[int, tuple[float, ...]] = {n: values for group, values in RECODE.items() for n in group}

_LABELS: dict[int, str] = {
    1: "general health rating",
    2: "health compared with one year ago",
    3: "limited in vigorous activities",
    4: "limited in moderate activities",
    5: "limited in lifting or carrying groceries",
    6: "limited in climbing several flights of stairs",
    7: "limited in climbing one flight of stairs",
    8: "limited in bending, kneeling or stooping",
    9: "limited in walking more than a mile",
    10: "limited in walking several blocks",
    11: "limited in walking one block",
    12: "limited in bathing or dressing",
    13: "physical health: cut down time on work or activities",
    14: "physical health: accomplished less than would like",
    15: "physical health: limited in kind of work or activities",
    16: "physical health: difficulty performing work or activities",
    17: "emotional problems: cut down time on work or activities",
    18: "emotional problems: accomplished less than would like",
    19: "emotional problems: did work less carefully than usual",
    20: "extent health interfered with social activities",
    21: "amount of bodily pain",
    22: "extent pain interfered with normal work",
    23: "time felt lively",
    24: "time been very nervous",
    25: "time felt very low in mood",
    26: "time felt calm and peaceful",
    27: "time had a lot of energy",
    28: "time felt downhearted and blue",
    29: "time felt worn out",
    30: "time been happy",
    31: "time felt tired",
    32: "time health interfered with social activities",
    33: "gets sick more easily than other people",
    34: "as healthy as other people known",
    35: "expects health to get worse",
    36: "rates own health as excellent",
}


def recoded(item_number: int, answer: int) -> float:
    """The 0-100 value of precoded ``answer`` (1-based) to item ``item_number`` (Table 1)."""
    return _RECODE_BY_ITEM[item_number][answer - 1]


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """The eight scale scores (0-100, mean of the answered items, or None) and ``health_change``."""
    values = {n: recoded(n, whole(answers, f"rand36_{n}")) for n in range(1, 37) if f"rand36_{n}" in answers}
    out: dict[str, ScoreValue] = {}
    for scale, numbers in SCALES.items():
        answered = [values[n] for n in numbers if n in values]
        out[scale] = sum(answered) / len(answered) if answered else None
        out[f"{scale}_items_answered"] = len(answered)
    out["health_change"] = values.get(2)
    return out


INSTRUMENT = Instrument(
    code="rand36",
    version="1.0",
    title="RAND 36-Item Health Survey 1.0",
    source=(
        "Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health Survey 1.0. Health Econ "
        "1993;2(3):217-27. doi:10.1002/hec.4730020305. Scoring: RAND, Medical Outcomes Study: "
        "36-Item Short Form Survey Scoring Instructions, "
        "https://www.rand.org/health/surveys_tools/mos/mos_core_36item_scoring.html"
    ),
    licence=(
        "RAND provides the survey for public use under its Terms and Conditions for Using the SF-36; "
        "the item texts are not shipped (short descriptions only). Not the licensed SF-36 v2."
    ),
    items=tuple(
        Item(
            name=f"rand36_{n}",
            kind=ItemKind.INTEGER,
            label=_LABELS[n],
            unit="answer",
            minimum=1,
            maximum=len(_RECODE_BY_ITEM[n]),
            required=False,
        )
        for n in range(1, 37)
    ),
    scorer=score,
)
