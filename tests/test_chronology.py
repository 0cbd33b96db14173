"""The shared time rules: nothing in the future, events in order, plausible ages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from stromal.chronology import (
    CLOCK_SKEW,
    MAX_AGE_YEARS,
    SCHEDULING_HORIZON,
    TIME_POINT_EARLY_TOLERANCE,
    require_not_before,
    require_not_future,
    require_plausible_birth_date,
    require_schedulable,
    require_time_point_reached,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def test_it_accepts_an_event_within_the_clock_skew() -> None:
    require_not_future("at", NOW + CLOCK_SKEW, label="Time", now=NOW)


def test_it_refuses_an_event_beyond_the_clock_skew_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        require_not_future("at", NOW + CLOCK_SKEW + dt.timedelta(seconds=1), label="Time", now=NOW)
    assert "at" in caught.value.message_dict
    assert "later than now" in caught.value.message_dict["at"][0]


def test_it_refuses_a_date_after_today_and_accepts_today() -> None:
    require_not_future("on", NOW.date(), label="Date", now=NOW)
    with pytest.raises(ValidationError):
        require_not_future("on", dt.date(9999, 12, 31), label="Date", now=NOW)


def test_it_refuses_an_event_before_the_one_that_must_precede_it() -> None:
    with pytest.raises(ValidationError) as caught:
        require_not_before(
            "given_at", NOW - dt.timedelta(hours=1), NOW, label="Start", earlier_label="consent"
        )
    assert "cannot be before consent" in caught.value.message_dict["given_at"][0]
    require_not_before("given_at", NOW, NOW, label="Start", earlier_label="consent")


def test_it_compares_a_date_with_a_datetime_on_the_local_date() -> None:
    require_not_before("on", NOW.date(), NOW, label="Visit", earlier_label="discharge")
    with pytest.raises(ValidationError):
        require_not_before(
            "on", NOW.date() - dt.timedelta(days=1), NOW, label="Visit", earlier_label="discharge"
        )


def test_it_refuses_a_birth_date_giving_an_age_over_the_maximum() -> None:
    with pytest.raises(ValidationError) as caught:
        require_plausible_birth_date("date_of_birth", dt.date(1, 1, 1), now=NOW)
    assert f"0 to {MAX_AGE_YEARS} years" in caught.value.message_dict["date_of_birth"][0]
    require_plausible_birth_date("date_of_birth", dt.date(1906, 12, 1), now=NOW)


def test_it_refuses_a_birth_date_in_the_future() -> None:
    with pytest.raises(ValidationError):
        require_plausible_birth_date("date_of_birth", dt.date(2031, 1, 1), now=NOW)


REGISTERED = NOW - dt.timedelta(days=3)
ZONES = st.sampled_from(
    [dt.UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), ZoneInfo("Pacific/Kiritimati")]
)


def _book(value: dt.datetime) -> None:
    require_schedulable(
        "scheduled_for",
        value,
        earliest=REGISTERED,
        label="The examination",
        earliest_label="registration",
        now=NOW,
    )


@given(offset=st.timedeltas(min_value=dt.timedelta(0), max_value=SCHEDULING_HORIZON + (NOW - REGISTERED)))
def test_an_appointment_from_the_registration_to_the_horizon_is_booked(offset: dt.timedelta) -> None:
    _book(REGISTERED + offset)


@given(seconds=st.integers(min_value=1, max_value=10**9))
def test_an_appointment_past_the_horizon_or_before_the_registration_is_refused(seconds: int) -> None:
    for value in (
        NOW + SCHEDULING_HORIZON + dt.timedelta(seconds=seconds),
        REGISTERED - dt.timedelta(seconds=seconds),
    ):
        with pytest.raises(ValidationError) as caught:
            _book(value)
        assert "scheduled_for" in caught.value.message_dict


@given(
    naive=st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)),
    zone=ZONES,
)
def test_any_date_time_a_form_can_give_is_refused_or_booked_never_an_overflow(
    naive: dt.datetime, zone: dt.tzinfo
) -> None:
    value = naive.replace(tzinfo=zone)
    try:
        _book(value)
    except ValidationError as exc:
        assert "scheduled_for" in exc.message_dict


@given(minute=st.integers(min_value=0, max_value=240), elapsed_s=st.integers(min_value=0, max_value=300 * 60))
def test_a_time_point_is_recorded_exactly_from_the_tolerance_before_it(minute: int, elapsed_s: int) -> None:
    start = NOW - dt.timedelta(hours=5)
    at = start + dt.timedelta(seconds=elapsed_s)
    reached = at >= start + dt.timedelta(minutes=minute) - TIME_POINT_EARLY_TOLERANCE
    try:
        require_time_point_reached("scheduled_minute", minute, at=at, start=start)
    except ValidationError as exc:
        assert not reached and "not reached yet" in exc.message_dict["scheduled_minute"][0]
    else:
        assert reached
