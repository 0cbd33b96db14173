"""Vital status at a follow-up contact: alive, dead or unknown, and how it is known.

A data-collection form, not a score: survival analysis needs, for each
patient, either a date of death or the last date known alive, and how each was
ascertained (the long-term ARDS cohorts report both; Herridge MS et al. N Engl
J Med 2011;364(14):1293-304, doi:10.1056/NEJMoa1011802). Date and cause of
death are asked only when the patient has died; the last date known alive
only when the status is unknown.
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
    iso_date,
)

STATUSES: tuple[tuple[int | str, str], ...] = (
    ("alive", "alive"),
    ("dead", "dead"),
    ("unknown", "unknown (lost to follow-up)"),
)

ASCERTAINMENT: tuple[tuple[int | str, str], ...] = (
    ("visit", "seen at a study visit"),
    ("telephone_patient", "telephone call with the patient"),
    ("telephone_relative", "telephone call with a relative or carer"),
    ("medical_record", "medical record"),
    ("death_registry", "civil or death registry"),
    ("general_practitioner", "general practitioner or treating physician"),
    ("not_ascertained", "could not be ascertained"),
)

CAUSES: tuple[tuple[int | str, str], ...] = (
    ("respiratory", "respiratory"),
    ("cardiovascular", "cardiovascular"),
    ("infection", "infection or sepsis (non-pulmonary)"),
    ("cancer", "cancer"),
    ("other", "other"),
    ("unknown", "unknown"),
)

_DEAD = Condition("vital_status", "==", "dead")


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """``vital_status``, ``dead`` (None when unknown), ``date_of_death`` and
    ``last_known_alive_date`` as ISO dates (None when not asked)."""
    status = str(answers["vital_status"])
    return {
        "vital_status": status,
        "dead": None if status == "unknown" else status == "dead",
        "date_of_death": iso_date(answers.get("date_of_death")),
        "last_known_alive_date": iso_date(answers.get("last_known_alive_date")),
    }


INSTRUMENT = Instrument(
    code="vital_status",
    version="1",
    title="Vital status",
    source=(
        "Stromal follow-up form; outcomes as in Herridge MS et al. N Engl J Med 2011;364(14):1293-304. "
        "doi:10.1056/NEJMoa1011802"
    ),
    licence="Stromal's own form (Apache-2.0 with the code).",
    items=(
        Item("vital_status", ItemKind.CHOICE, "vital status", options=STATUSES),
        Item(
            "vital_status_ascertainment",
            ItemKind.CHOICE,
            "how the vital status was ascertained",
            options=ASCERTAINMENT,
        ),
        Item("date_of_death", ItemKind.DATE, "date of death", shown_when=_DEAD),
        Item("cause_of_death", ItemKind.CHOICE, "main cause of death", options=CAUSES, shown_when=_DEAD),
        Item(
            "cause_of_death_detail",
            ItemKind.TEXT,
            "cause of death as certified or reported",
            required=False,
            shown_when=_DEAD,
        ),
        Item(
            "last_known_alive_date",
            ItemKind.DATE,
            "last date the patient was known to be alive",
            shown_when=Condition("vital_status", "==", "unknown"),
        ),
    ),
    scorer=score,
)
