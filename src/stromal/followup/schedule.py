"""The follow-up calendar: visit dates and windows from a protocol, and each
visit's state on a given day. Pure functions, no Django.

Day numbering follows ``stromal.clinical.protocol``: day 0 is enrolment (the
clinic's Day 1 examination), so a visit with ``day_offset`` 28 is due 28 days
after it, in ``[target − window_before, target + window_after]`` — the
REDCap-style event windows the architecture describes. Long-term visits (3,
6, 12 months, then yearly to 5 years) follow the ARDS survivor cohorts
(Herridge MS et al., NEJM 2011;364:1293–304).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from stromal.clinical.protocol import FollowUpVisit


class VisitState(StrEnum):
    UPCOMING = "upcoming"  # window not yet open
    DUE = "due"  # window open today
    OVERDUE = "overdue"  # window closed, not done
    DONE = "done"
    MISSED = "missed"  # recorded as missed
    NOT_DUE = "not_due"  # planned after the patient's death


@dataclass(frozen=True)
class VisitWindow:
    code: str
    name: str
    day_offset: int
    target_date: dt.date
    window_start: dt.date
    window_end: dt.date


def visit_windows(day0: dt.date, visits: Sequence[FollowUpVisit]) -> list[VisitWindow]:
    """Each visit's target date and window, in order of the target date."""
    out = [
        VisitWindow(
            code=v.code,
            name=v.name,
            day_offset=v.day_offset,
            target_date=day0 + dt.timedelta(days=v.day_offset),
            window_start=day0 + dt.timedelta(days=v.day_offset - v.window_before_days),
            window_end=day0 + dt.timedelta(days=v.day_offset + v.window_after_days),
        )
        for v in visits
    ]
    return sorted(out, key=lambda w: (w.target_date, w.code))


def visit_state(
    *,
    window_start: dt.date,
    window_end: dt.date,
    today: dt.date,
    completed_on: dt.date | None,
    missed: bool,
    not_due: bool = False,
) -> VisitState:
    if completed_on is not None:
        return VisitState.DONE
    if missed:
        return VisitState.MISSED
    if not_due:
        return VisitState.NOT_DUE
    if today < window_start:
        return VisitState.UPCOMING
    if today <= window_end:
        return VisitState.DUE
    return VisitState.OVERDUE


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of each month from ``start``'s month to ``end``'s, for a month-by-month calendar."""
    months = []
    cursor = start.replace(day=1)
    while cursor <= end:
        months.append(cursor)
        cursor = (cursor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months
