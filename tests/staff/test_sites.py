"""Sites: the administrator changes their own site (time zone checked against zoneinfo) with a
reason, and opens a new site with its first administrator."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.accounts.models import Site, User
from stromal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _admin(cast: Any) -> Client:
    client = Client()
    client.force_login(cast.ada)
    return client


def _edit(cast: Any, **changes: Any) -> Any:
    data = {"name": "North Clinic", "time_zone": "UTC", "barometric_pressure_mmhg": "760", "reason": "r"}
    return _admin(cast).post(reverse("staff:site_edit", args=[cast.ada.site_id]), {**data, **changes})


def test_an_unknown_time_zone_is_refused_next_to_the_field(cast: Any) -> None:
    response = _edit(cast, time_zone="Europe/Atlantis", reason="moved")
    assert response.status_code == 400
    page = response.content.decode()
    assert "not an IANA time-zone name" in page and 'class="field-error"' in page
    assert Site.objects.get(pk=cast.ada.site_id).time_zone == "UTC"


def test_a_pressure_outside_the_range_is_refused(cast: Any) -> None:
    response = _edit(cast, barometric_pressure_mmhg="90")
    assert response.status_code == 400
    assert Site.objects.get(pk=cast.ada.site_id).barometric_pressure_mmhg == 760.0


def test_a_site_change_needs_a_reason_and_is_audited(cast: Any) -> None:
    assert _edit(cast, time_zone="Europe/Paris", reason="").status_code == 400
    assert _edit(cast, time_zone="Europe/Paris", reason="site is in Paris").status_code == 302
    assert Site.objects.get(pk=cast.ada.site_id).time_zone == "Europe/Paris"
    event = AuditEvent.objects.get(object_type="accounts.site", action="update")
    assert event.changes == {"time_zone": ["UTC", "Europe/Paris"]} and event.reason == "site is in Paris"
    page = _admin(cast).get(reverse("pathway:worklist")).content.decode()
    assert "CET" in page or "CEST" in page or "Today" in page


def test_another_sites_settings_are_not_the_admins_to_change(cast: Any, other_site: Any) -> None:
    response = _admin(cast).post(
        reverse("staff:site_edit", args=[other_site.pk]),
        {"name": "Taken", "time_zone": "UTC", "barometric_pressure_mmhg": "760", "reason": "r"},
    )
    assert response.status_code == 404
    assert Site.objects.get(pk=other_site.pk).name == "South Clinic"


def test_a_new_site_opens_with_its_first_administrator_and_a_password_link(cast: Any) -> None:
    response = _admin(cast).post(
        reverse("staff:site_new"),
        {
            "code": "east",
            "name": "East Clinic",
            "time_zone": "Asia/Tokyo",
            "barometric_pressure_mmhg": "700",
            "admin_username": "erin",
            "admin_printed_name": "Erin East",
        },
        follow=True,
    )
    site = Site.objects.get(code="east")
    erin = User.objects.get(username="erin")
    assert site.time_zone == "Asia/Tokyo" and erin.site == site and erin.role == "admin"
    assert re.search(r"/password/set/[^/]+/[^/\s]+/", response.content.decode())
    assert AuditEvent.objects.filter(
        object_type="accounts.site", action="create", site_id_at_event=site.pk
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(erin.pk), action="create"
    ).exists()
    link = AuditEvent.objects.get(action="password_link", changes__account=[None, "erin"])
    assert link.actor == cast.ada and link.site_id_at_event == site.pk


def test_a_taken_site_code_or_username_refuses_the_whole_new_site(cast: Any) -> None:
    response = _admin(cast).post(
        reverse("staff:site_new"),
        {
            "code": "east",
            "name": "East Clinic",
            "time_zone": "UTC",
            "barometric_pressure_mmhg": "760",
            "admin_username": "nina",
            "admin_printed_name": "Nina Again",
        },
    )
    assert response.status_code == 400 and "is taken" in response.content.decode()
    assert not Site.objects.filter(code="east").exists()
