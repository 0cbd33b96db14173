from __future__ import annotations

import datetime as dt

from stromal.clinical.protocol import FollowUpVisit, builtin_protocols
from stromal.followup.schedule import VisitState, months_between, visit_state, visit_windows

DAY0 = dt.date(2026, 1, 10)


def test_the_day_28_visit_falls_28_days_after_day_0_with_its_window() -> None:
    [w] = visit_windows(DAY0, [FollowUpVisit("d28", "Day 28", 28, 3, 7)])
    assert w.target_date == dt.date(2026, 2, 7)
    assert (w.window_start, w.window_end) == (dt.date(2026, 2, 4), dt.date(2026, 2, 14))


def test_the_clinic_protocol_follows_up_to_year_5_in_order() -> None:
    clinic = next(p for p in builtin_protocols() if p.code == "clinic-ucmsc-iv-2day")
    windows = visit_windows(DAY0, clinic.follow_up)
    assert [w.code for w in windows] == ["d28", "m3", "m6", "y1", "y2", "y3", "y4", "y5"]
    assert windows[-1].target_date == DAY0 + dt.timedelta(days=1825)


def test_a_visit_is_upcoming_due_then_overdue_as_days_pass() -> None:
    start, end = dt.date(2026, 2, 4), dt.date(2026, 2, 14)

    def state(today: dt.date) -> VisitState:
        return visit_state(window_start=start, window_end=end, today=today, completed_on=None, missed=False)

    assert state(dt.date(2026, 2, 3)) is VisitState.UPCOMING
    assert state(start) is VisitState.DUE and state(end) is VisitState.DUE
    assert state(dt.date(2026, 2, 15)) is VisitState.OVERDUE


def test_a_done_visit_is_never_overdue() -> None:
    state = visit_state(
        window_start=dt.date(2026, 2, 4),
        window_end=dt.date(2026, 2, 14),
        today=dt.date(2027, 1, 1),
        completed_on=dt.date(2026, 2, 20),
        missed=False,
    )
    assert state is VisitState.DONE


def test_months_between_spans_year_ends() -> None:
    months = months_between(dt.date(2026, 11, 20), dt.date(2027, 2, 3))
    assert months == [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 2, 1)]
