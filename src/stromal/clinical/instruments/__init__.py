"""Follow-up outcome instruments as data: definitions, validation and scoring.

One module per instrument, each defining an ``Instrument`` (see ``base``);
``INSTRUMENTS`` maps every shipped instrument's code to it, and
``schedule`` says which are due at which follow-up visit. No Django here.

To add an instrument, copy the module of a similar one (a questionnaire:
``gad7``; a measurement with a reference equation: ``six_minute_walk``; a
form without a score: ``readmissions``), cite its source and licence, add it
to ``INSTRUMENTS`` and give it a worked-cases file under
``tests/clinical/instruments/cases/``. Item names are unique across all
instruments (a test holds this), so they can serve as form fields and
``stromal assess`` keys; ``Item.spec()`` gives the ``FieldSpec`` that
``stromal assess --help`` prints.

Usage::

    from stromal.clinical.instruments import INSTRUMENTS, Subject
    INSTRUMENTS["phq9"].score({"phq9_1": 1, ...})
    INSTRUMENTS["six_minute_walk"].score(answers, Subject("female", 58, 165, 70))
"""

from __future__ import annotations

from stromal.clinical.instruments import (
    chest_ct,
    gad7,
    lung_function,
    mmrc,
    moca,
    phq9,
    rand36,
    readmissions,
    return_to_work,
    six_minute_walk,
    vital_status,
)
from stromal.clinical.instruments.base import (
    Condition,
    Instrument,
    Item,
    ItemKind,
    ScoreValue,
    Subject,
    Value,
)

#: Every shipped instrument, by code, in the order a visit page lists them.
INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in (
        vital_status.INSTRUMENT,
        six_minute_walk.INSTRUMENT,
        lung_function.SPIROMETRY,
        lung_function.DLCO,
        mmrc.INSTRUMENT,
        moca.INSTRUMENT,
        phq9.INSTRUMENT,
        gad7.INSTRUMENT,
        rand36.INSTRUMENT,
        chest_ct.INSTRUMENT,
        return_to_work.INSTRUMENT,
        readmissions.INSTRUMENT,
    )
}

__all__ = ["INSTRUMENTS", "Condition", "Instrument", "Item", "ItemKind", "ScoreValue", "Subject", "Value"]
