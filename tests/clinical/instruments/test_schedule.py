"""The five-year visit schedule: instruments due per visit, windows, fit with the protocols."""

from __future__ import annotations

import datetime as dt

import pytest

from stromal.clinical.instruments import INSTRUMENTS
from stromal.clinical.instruments.schedule import (
    FIVE_YEAR,
    Anchor,
    ScheduledVisit,
    ScheduleError,
    VisitSchedule,
    missing_without_reason,
)
from stromal.clinical.protocol import Protocol, builtin_protocols
from stromal.followup.schedule import visit_windows


def test_it_runs_from_discharge_through_1_3_6_12_months_to_5_years() -> None:
    assert [v.code for v in FIVE_YEAR.visits] == [
        "discharge",
        "d28",
        "m3",
        "m6",
        "y1",
        "y2",
        "y3",
        "y4",
        "y5",
    ]
    assert FIVE_YEAR.visit("discharge").anchor is Anchor.DISCHARGE
    assert [v.day_offset for v in FIVE_YEAR.visits[1:]] == [28, 90, 180, 365, 730, 1095, 1460, 1825]


@pytest.mark.parametrize("protocol", builtin_protocols(), ids=lambda p: p.code)
def test_its_enrolment_visits_are_the_shipped_protocols_follow_up(protocol: Protocol) -> None:
    assert FIVE_YEAR.follow_up_visits() == protocol.follow_up


def test_the_discharge_visit_is_placed_on_the_patients_discharge_day() -> None:
    visits = FIVE_YEAR.follow_up_visits(discharge_day=12)
    assert (visits[0].code, visits[0].day_offset, visits[0].window_before_days) == ("discharge", 12, 2)
    windows = visit_windows(dt.date(2026, 1, 1), visits)
    assert windows[0].target_date == dt.date(2026, 1, 13)
    assert windows[-1].window_end == dt.date(2026, 1, 1) + dt.timedelta(days=1825 + 60)


def test_every_follow_up_visit_after_discharge_asks_for_vital_status() -> None:
    for visit in FIVE_YEAR.visits[1:]:
        assert "vital_status" in visit.instruments


def test_the_month_6_visit_includes_lung_function_questionnaires_and_ct() -> None:
    due = [i.code for i in FIVE_YEAR.instruments_due("m6")]
    assert {"six_minute_walk", "spirometry", "dlco", "moca", "phq9", "gad7", "rand36", "chest_ct"} <= set(due)
    assert due == [c for c in INSTRUMENTS if c in due]


def test_after_a_death_only_vital_status_is_due() -> None:
    assert [i.code for i in FIVE_YEAR.instruments_due("y2", deceased=True)] == ["vital_status"]
    assert FIVE_YEAR.instruments_due("discharge", deceased=True) == ()


def test_a_visit_is_incomplete_until_each_due_instrument_is_done_or_excused() -> None:
    due = ["vital_status", "six_minute_walk", "moca"]
    assert missing_without_reason(due, {"vital_status"}, {}) == ["six_minute_walk", "moca"]
    assert missing_without_reason(due, {"vital_status"}, {"six_minute_walk": "on oxygen", "moca": "  "}) == [
        "moca"
    ]
    assert missing_without_reason(due, {"vital_status", "moca"}, {"six_minute_walk": "declined"}) == []


def test_a_schedule_refuses_an_unknown_instrument() -> None:
    with pytest.raises(ScheduleError) as err:
        ScheduledVisit("m3", "Month 3", Anchor.ENROLMENT, 90, 14, 14, ("eq5d",))
    assert err.value.key == "visit[m3].instruments"


def test_a_schedule_refuses_negative_windows_and_duplicate_visits() -> None:
    with pytest.raises(ScheduleError):
        ScheduledVisit("m3", "Month 3", Anchor.ENROLMENT, 90, -1, 14, ())
    visit = ScheduledVisit("m3", "Month 3", Anchor.ENROLMENT, 90, 14, 14, ())
    with pytest.raises(ScheduleError):
        VisitSchedule("s", "1", "none", (visit, visit))


def test_asking_for_an_unknown_visit_names_it() -> None:
    with pytest.raises(ScheduleError) as err:
        FIVE_YEAR.visit("y6")
    assert err.value.key == "visit[y6]"
