"""The suite runs at a daytime hour: its factories build a course that spans a few hours of today."""

from __future__ import annotations

import datetime as dt

from tests.conftest import daytime_destination


def test_a_daytime_run_keeps_the_real_clock() -> None:
    assert daytime_destination(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)) is None


def test_a_run_after_midnight_moves_forward_to_noon_of_the_same_day() -> None:
    at = dt.datetime(2026, 12, 1, 3, 40, tzinfo=dt.UTC)
    assert daytime_destination(at) == dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def test_a_late_evening_run_moves_forward_to_noon_of_the_next_day() -> None:
    at = dt.datetime(2026, 11, 30, 22, 15, tzinfo=dt.UTC)
    assert daytime_destination(at) == dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
