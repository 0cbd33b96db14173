"""Each site has a time zone; every date-time is stored in UTC and shown in it, zone named."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.accounts.models import UNKNOWN_TIME_ZONE, Site
from stromal.accounts.zones import format_when
from stromal.plans.models import PlanSignature
from tests.pathway.factories import approve, make_plan

PARIS = "Europe/Paris"
NOON_UTC = dt.datetime(2026, 11, 30, 12, 5, tzinfo=dt.UTC)


def test_a_date_time_is_shown_in_the_active_zone_with_the_zone() -> None:
    with timezone.override(PARIS):
        assert format_when(NOON_UTC) == "2026-11-30 13:05 CET"
        assert format_when(dt.datetime(2026, 7, 1, 12, 5, tzinfo=dt.UTC)) == "2026-07-01 14:05 CEST"
    with timezone.override("UTC"):
        assert format_when(NOON_UTC, "Y-m-d H:i:s") == "2026-11-30 12:05:00 UTC"


def test_a_time_of_day_alone_is_shown_only_for_today_and_with_its_date_otherwise() -> None:
    with timezone.override(PARIS):
        today_local = timezone.localtime().replace(hour=13, minute=5, second=0, microsecond=0)
        assert format_when(today_local, "H:i") == f"13:05 {today_local.tzname()}"
        yesterday_local = today_local - dt.timedelta(days=1)
        assert format_when(yesterday_local, "H:i") == (
            f"{yesterday_local:%Y-%m-%d} 13:05 {yesterday_local.tzname()}"
        )


def test_a_date_has_no_zone_and_nothing_shows_nothing() -> None:
    assert format_when(dt.date(2026, 11, 30)) == "2026-11-30"
    assert format_when(None) == ""


@pytest.mark.django_db
def test_a_new_site_takes_the_default_zone_from_the_setting(settings: Any) -> None:
    settings.TIME_ZONE = PARIS
    site = Site.objects.create(code="east", name="East Clinic")
    assert site.time_zone == PARIS


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Mars/Olympus", "CET ", "europe/paris", "../etc/passwd"])
def test_a_site_with_an_unknown_zone_is_refused(zone: str) -> None:
    site = Site(code="west", name="West Clinic", time_zone=zone)
    with pytest.raises(ValidationError) as refused:
        site.full_clean()
    assert refused.value.message_dict["time_zone"] == [UNKNOWN_TIME_ZONE.format(value=zone)]


@pytest.mark.django_db
def test_a_site_without_a_zone_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Site(code="west", name="West Clinic", time_zone="").full_clean()
    assert "time_zone" in refused.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_sites_the_default_zone(settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    old_site = executor.loader.project_state([("accounts", "0001_initial")]).apps.get_model(
        "accounts", "Site"
    )
    old_site.objects.create(code="old", name="Old Clinic")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Site.objects.get(code="old").time_zone == "America/New_York"


@pytest.mark.django_db
def test_pages_show_times_in_the_signed_in_users_site_zone(cast: Any) -> None:
    Site.objects.filter(pk=cast.alice.site_id).update(time_zone=PARIS)
    plan = approve(cast, make_plan(cast))
    PlanSignature.objects.filter(plan=plan).update(signed_at=NOON_UTC)
    client = Client()
    client.force_login(cast.alice)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "2026-11-30 13:05 CET" in page
    Site.objects.filter(pk=cast.alice.site_id).update(time_zone="Asia/Tokyo")
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "2026-11-30 21:05 JST" in page and "13:05 CET" not in page
    assert timezone.get_current_timezone_name() == "UTC"  # the request's zone does not leak


@pytest.mark.django_db
def test_a_date_time_typed_into_a_form_is_read_in_the_site_zone(cast: Any) -> None:
    Site.objects.filter(pk=cast.alice.site_id).update(time_zone=PARIS)
    plan = make_plan(cast)
    client = Client()
    client.force_login(cast.alice)
    assert "Local time, Europe/Paris" in client.get(reverse("plans:consent", args=[plan.pk])).content.decode()
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    typed = an_hour_ago.astimezone(zoneinfo.ZoneInfo(PARIS)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("plans:consent", args=[plan.pk]),
        {
            "given_by": "Test Person",
            "given_by_relationship": "self",
            "given_at": typed,
            "witness_name": "Wendy Witness",
            "information_sheet_version": "PIS v2.1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = plan.consents.get().given_at
    assert stored.tzinfo is not None
    assert abs(stored - an_hour_ago) < dt.timedelta(minutes=1)
