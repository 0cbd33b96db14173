"""The shared time rules: nothing in the future, events in order, plausible ages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from stromal.chronology import (
    CLOCK_SKEW,
    MAX_AGE_YEARS,
    require_not_before,
    require_not_future,
    require_plausible_birth_date,
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
