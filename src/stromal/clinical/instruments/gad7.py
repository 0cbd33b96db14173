"""GAD-7, the seven-item generalised anxiety disorder scale.

Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing
generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-7,
doi:10.1001/archinte.166.10.1092. Each item is scored 0 (not at all) to 3
(nearly every day) over the last two weeks; the total is 0-21, and cut points
of 5, 10 and 15 are read as mild, moderate and severe anxiety.
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
from stromal.clinical.instruments.phq9 import FREQUENCY_OPTIONS

#: Lower bound of each severity band (Spitzer 2006): 5, 10 and 15.
SEVERITY_BANDS = (
    (0, "minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "severe"),
)

_LABELS = (
    "feeling nervous, anxious or on edge",
    "not being able to stop or control worrying",
    "worrying too much about different things",
    "trouble relaxing",
    "being so restless that it is hard to sit still",
    "becoming easily annoyed or irritable",
    "feeling afraid as if something awful might happen",
)

_DIFFICULTY = (
    ("not_difficult", "not difficult at all"),
    ("somewhat_difficult", "somewhat difficult"),
    ("very_difficult", "very difficult"),
    ("extremely_difficult", "extremely difficult"),
)


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """Total (0-21) and severity band (``minimal``, ``mild``, ``moderate``, ``severe``)."""
    total = sum(whole(answers, f"gad7_{n}") for n in range(1, 8))
    return {"total": total, "severity": band(total, SEVERITY_BANDS)}


INSTRUMENT = Instrument(
    code="gad7",
    version="1",
    title="GAD-7 anxiety",
    source=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized "
        "anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-7. "
        "doi:10.1001/archinte.166.10.1092"
    ),
    licence=(
        "Free to use: Pfizer released the PHQ and GAD-7 screeners for download without copyright "
        "restriction and at no charge (2010); item texts shipped."
    ),
    items=(
        *scale_items("gad7", 7, _LABELS, FREQUENCY_OPTIONS),
        Item(
            "gad7_difficulty",
            ItemKind.CHOICE,
            "how difficult these problems have made work, home life or getting along with others",
            options=_DIFFICULTY,
            required=False,
        ),
    ),
    scorer=score,
)
