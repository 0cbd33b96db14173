"""Hospital readmissions since the last follow-up visit.

A data-collection form, not a score: the number of unplanned hospital
admissions since the previous visit and, when there were any, their reasons.
Rehospitalisation is common in the years after ARDS (Herridge MS et al. N Engl
J Med 2011;364(14):1293-304, doi:10.1056/NEJMoa1011802).
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
    whole,
)

_ANY = Condition("readmissions_count", ">=", 1)


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """``readmissions_count``, ``readmitted`` (count >= 1) and ``respiratory_readmission``."""
    count = whole(answers, "readmissions_count")
    return {
        "readmissions_count": count,
        "readmitted": count >= 1,
        "respiratory_readmission": answers.get("readmission_respiratory") is True if count else False,
    }


INSTRUMENT = Instrument(
    code="readmissions",
    version="1",
    title="Hospital readmissions since the last visit",
    source=(
        "Stromal follow-up form; outcome as in Herridge MS et al. N Engl J Med 2011;364(14):1293-304. "
        "doi:10.1056/NEJMoa1011802"
    ),
    licence="Stromal's own form (Apache-2.0 with the code).",
    items=(
        Item(
            "readmissions_count",
            ItemKind.INTEGER,
            "unplanned hospital admissions since the last visit",
            "admissions",
            0,
            50,
        ),
        Item(
            "readmission_reasons",
            ItemKind.TEXT,
            "reasons for each admission",
            shown_when=_ANY,
            max_length=2000,
        ),
        Item(
            "readmission_respiratory",
            ItemKind.BOOLEAN,
            "any admission for a respiratory cause",
            shown_when=_ANY,
        ),
        Item(
            "readmission_days_total",
            ItemKind.INTEGER,
            "days in hospital in all",
            "days",
            1,
            2000,
            required=False,
            shown_when=_ANY,
        ),
    ),
    scorer=score,
)
