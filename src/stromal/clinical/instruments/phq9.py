"""PHQ-9, the nine-item depression module of the Patient Health Questionnaire.

Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression
severity measure. J Gen Intern Med 2001;16(9):606-13,
doi:10.1046/j.1525-1497.2001.016009606.x. Each of the nine DSM-IV criteria is
scored 0 (not at all) to 3 (nearly every day) over the last two weeks; the
total is 0-27, and "PHQ-9 scores of 5, 10, 15, and 20 represented mild,
moderate, moderately severe, and severe depression" (abstract). Item 9
(thoughts of being better off dead or of self-harm) is flagged whenever it is
answered above 0, for a same-day clinical follow-up; the total alone does not
show it.
"""

from __future__ import annotations

from collections.abc import Mapping

from stromal.clinical.instruments.base import (
    Instrument,
    Item,
    ItemKind,
    ScoreValue,
    Subject,
    Value,
    band,
    scale_items,
    whole,
)

FREQUENCY_OPTIONS: tuple[tuple[int | str, str], ...] = (
    (0, "not at all"),
    (1, "several days"),
    (2, "more than half the days"),
    (3, "nearly every day"),
)

#: Lower bound of each severity band (Kroenke 2001): 5, 10, 15 and 20.
SEVERITY_BANDS = (
    (0, "none_minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "moderately_severe"),
    (20, "severe"),
)

_LABELS = (
    "little interest or pleasure in doing things",
    "feeling down, depressed or hopeless",
    "trouble falling or staying asleep, or sleeping too much",
    "feeling tired or having little energy",
    "poor appetite or overeating",
    "feeling bad about yourself, or that you are a failure or have let yourself or your family down",
    "trouble concentrating on things",
    "moving or speaking slowly, or being fidgety or restless",
    "thoughts that you would be better off dead, or of hurting yourself in some way",
)

_DIFFICULTY = (
    ("not_difficult", "not difficult at all"),
    ("somewhat_difficult", "somewhat difficult"),
    ("very_difficult", "very difficult"),
    ("extremely_difficult", "extremely difficult"),
)


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """Total (0-27), severity band and the item-9 flag.

    Returns ``total``, ``severity`` (``none_minimal``, ``mild``, ``moderate``,
    ``moderately_severe`` or ``severe``) and ``item9_positive`` (item 9 > 0).
    """
    total = sum(whole(answers, f"phq9_{n}") for n in range(1, 10))
    return {
        "total": total,
        "severity": band(total, SEVERITY_BANDS),
        "item9_positive": whole(answers, "phq9_9") > 0,
    }


INSTRUMENT = Instrument(
    code="phq9",
    version="1",
    title="PHQ-9 depression (Patient Health Questionnaire)",
    source=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity "
        "measure. J Gen Intern Med 2001;16(9):606-13. doi:10.1046/j.1525-1497.2001.016009606.x"
    ),
    licence=(
        "Free to use: Pfizer released the PHQ and GAD-7 screeners for download without copyright "
        "restriction and at no charge (2010); item texts shipped."
    ),
    items=(
        *scale_items("phq9", 9, _LABELS, FREQUENCY_OPTIONS),
        Item(
            "phq9_difficulty",
            ItemKind.CHOICE,
            "how difficult these problems have made work, home life or getting along with others",
            options=_DIFFICULTY,
            required=False,
        ),
    ),
    scorer=score,
)
