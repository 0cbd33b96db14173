"""Return to work and to usual activity since the illness.

A data-collection form, not a score. Return to work was asked of the
patients employed before ARDS, by structured interview, in Kamdar BB,
Sepulveda KA, Chong A, et al. Return to work and lost earnings after acute
respiratory distress syndrome: a 5-year prospective, longitudinal study of
long-term survivors. Thorax 2018;73(2):125-33,
doi:10.1136/thoraxjnl-2017-210217. Return to work is asked only of patients
who worked before the illness; usual activity (work, study, household,
caring) of everyone.
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

RETURNED: tuple[tuple[int | str, str], ...] = (
    ("same_hours", "yes, same hours and duties as before"),
    ("reduced", "yes, with reduced hours or duties"),
    ("no", "no"),
)

USUAL_ACTIVITY: tuple[tuple[int | str, str], ...] = (
    ("fully", "fully resumed"),
    ("partly", "partly resumed"),
    ("not", "not resumed"),
)

_WORKED = Condition("worked_before_illness", "==", True)


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """``returned_to_work`` (None when not working before), ``reduced_work`` and ``usual_activity``."""
    returned = answers.get("returned_to_work")
    return {
        "returned_to_work": None if returned is None else returned != "no",
        "reduced_work": None if returned is None else returned == "reduced",
        "work_return_date": iso_date(answers.get("work_return_date")),
        "usual_activity": str(answers["usual_activity_resumed"]),
    }


INSTRUMENT = Instrument(
    code="return_to_work",
    version="1",
    title="Return to work and usual activity",
    source=(
        "Stromal follow-up form; outcome as in Kamdar BB et al. Thorax 2018;73(2):125-33. "
        "doi:10.1136/thoraxjnl-2017-210217"
    ),
    licence="Stromal's own form (Apache-2.0 with the code).",
    items=(
        Item("worked_before_illness", ItemKind.BOOLEAN, "in paid work before the illness"),
        Item("returned_to_work", ItemKind.CHOICE, "back at work now", options=RETURNED, shown_when=_WORKED),
        Item(
            "work_return_date",
            ItemKind.DATE,
            "date back at work",
            required=False,
            shown_when=Condition("returned_to_work", "in", ("same_hours", "reduced")),
        ),
        Item(
            "usual_activity_resumed",
            ItemKind.CHOICE,
            "usual activities (work, study, household, caring) resumed",
            options=USUAL_ACTIVITY,
        ),
    ),
    scorer=score,
)
