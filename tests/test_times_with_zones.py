"""Times with their zone (issue #8, class 4): service messages, date-time inputs and the session page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.accounts.zones import format_when
from stromal.administrations.models import Interruption
from stromal.chronology import require_not_future
from stromal.products.models import ProductLot
from stromal.products.services import LOT_EXPIRED, THAW_EXPIRED, lot_expiry_problem
from tests.administrations.factories import checked_session

PARIS = "Europe/Paris"
UTC_5AM = dt.datetime(2020, 1, 1, 5, 0, tzinfo=dt.UTC)


def test_the_lot_expiry_refusal_names_the_time_in_the_site_zone_with_the_zone() -> None:
    lot = ProductLot(expires_at=UTC_5AM)
    with timezone.override(PARIS):
        problem = lot_expiry_problem(lot, at=UTC_5AM + dt.timedelta(hours=1))
    assert problem == LOT_EXPIRED.format(at="2020-01-01 06:00 CET")
    assert problem == "The lot expired at 2020-01-01 06:00 CET."


def test_the_thaw_expiry_refusal_names_the_zone() -> None:
    lot = ProductLot(
        expires_at=UTC_5AM + dt.timedelta(days=30),
        thawed_at=UTC_5AM - dt.timedelta(hours=4),
        thaw_expires_at=UTC_5AM,
        expiry_after_thaw_hours=4,
    )
    with timezone.override("America/New_York"):
        problem = lot_expiry_problem(lot, at=UTC_5AM)
    assert problem == THAW_EXPIRED.format(at="2020-01-01 00:00 EST", hours=4)


def test_a_future_event_refusal_names_the_zone_of_both_times() -> None:
    now = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    with timezone.override(PARIS), pytest.raises(Exception) as refused:
        require_not_future("at", now + dt.timedelta(days=1), label="Onset", now=now)
    assert "Onset (2026-07-02 14:00 CEST) cannot be later than now (2026-07-01 14:00 CEST)." in str(
        refused.value
    )


def test_a_time_of_today_is_shown_without_its_date_and_any_other_with_it() -> None:
    with timezone.override(PARIS):
        today = timezone.localtime().replace(hour=3, minute=10, second=0, microsecond=0)
        yesterday = today - dt.timedelta(days=1)
        zone = today.tzname()
        assert format_when(today, "H:i") == f"03:10 {zone}"
        assert format_when(yesterday, "H:i") == f"{yesterday:%Y-%m-%d} 03:10 {yesterday.tzname()}"


@pytest.mark.django_db
def test_the_session_page_dates_identity_checks_and_interruptions_of_an_earlier_day(
    client: Client, cast: Any
) -> None:
    session = checked_session(cast)
    earlier = timezone.now() - dt.timedelta(days=2)
    session.identity_checks.update(at=earlier)
    Interruption.objects.create(
        session=session,
        started_at=earlier,
        ended_at=earlier + dt.timedelta(minutes=5),
        reason="line kinked",
        recorded_by=cast.nina,
    )
    client.force_login(cast.nina)
    html = client.get(reverse("administrations:detail", kwargs={"pk": session.pk})).content.decode()
    shown = format_when(earlier)  # Y-m-d H:i with the zone
    assert html.count(shown) >= 2, shown  # the check(s) and the interruption's start


@pytest.mark.django_db
def test_every_date_time_input_on_a_page_carries_the_zone_hint(client: Client, cast: Any) -> None:
    """The adverse-event Onset input (the example) among them."""
    from tests.administrations.factories import running_session

    session = running_session(cast)
    client.force_login(cast.nina)
    html = client.get(reverse("administrations:ae_report", args=[session.pk])).content.decode()
    assert 'name="onset_at"' in html
    assert f"Local time, {timezone.get_current_timezone_name()}" in html
