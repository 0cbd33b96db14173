"""No page shows a date-time without its zone (issue #8, class 4): one regex over the HTML
of the main pages of a whole course, read by every role that opens them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.accounts.models import Site
from stromal.administrations import services as admin_services
from stromal.administrations.models import AdministrationSession, AdverseEvent
from stromal.followup.models import FollowUpVisit
from stromal.intake.services import request_submit
from stromal.plans.models import TreatmentPlan
from tests.administrations.factories import ready_plan
from tests.followup.factories import (
    _complete_course,
    _day0_days_ago,
    _discharge,
    complete_without_instruments,
)

pytestmark = pytest.mark.django_db

# A date and a time (2026-11-30 14:05, 2026-11-30T14:05:00) or a time alone (14:05), not followed
# by a zone: an abbreviation (CET, UTC) or an offset (+01, -0300).
_ZONE = r"(?:[A-Z]{2,5}\b|[+-]\d{2})"
NO_ZONE = re.compile(
    r"(?<![\d:+-])(?:\d{4}-\d{2}-\d{2}[ T])?\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?![\d:]|\.\d)(?!\s?"
    + _ZONE
    + ")"
)


def _text(html: str) -> str:
    """What the page shows: without tags, attribute values (form inputs), scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]*>", " ", html)


def test_the_regex_finds_a_date_time_without_a_zone_and_accepts_one_with_it() -> None:
    assert NO_ZONE.findall("given 2026-11-30 14:05 by") == ["2026-11-30 14:05"]
    assert NO_ZONE.findall("at 14:05 · ") == ["14:05"]
    assert NO_ZONE.findall("2026-11-30T14:05:00") == ["2026-11-30T14:05:00"]
    assert not NO_ZONE.findall("2026-11-30 14:05 CET, 14:05 UTC, 2026-11-30T14:05:00+00:00, 2026-11-30")


def _course(cast: Any) -> TreatmentPlan:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    session = AdministrationSession.objects.filter(plan=plan).first()
    assert session is not None
    admin_services.adverse_event_report(
        session=session, user=cast.nina, term="Fever", onset_at=timezone.now(), description="38.2 °C"
    )
    _day0_days_ago(plan, 40)
    _discharge(cast, plan)
    d28 = FollowUpVisit.objects.get(plan=plan, code="d28")
    complete_without_instruments(d28, cast.cora, d28.target_date, notes="6MWD 380 m")
    return plan


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Sao_Paulo"])
def test_no_main_page_shows_a_date_time_without_its_zone(cast: Any, zone: str) -> None:
    Site.objects.filter(pk=cast.alice.site_id).update(time_zone=zone)
    plan = _course(cast)
    session = AdministrationSession.objects.filter(plan=plan).first()
    event = AdverseEvent.objects.get(patient=plan.patient)
    visit = FollowUpVisit.objects.get(plan=plan, code="d28")
    request = request_submit(
        site=plan.patient.site,
        full_name="Robin Request",
        contact_method="email",
        email="robin@example.invalid",
        condition="breathless",
        sender_address="198.51.100.7",
    )
    assert session is not None and request is not None and session.product_id is not None
    pages = [
        reverse("pathway:patient", args=[plan.patient_id]),
        reverse("pathway:worklist"),
        reverse("plans:detail", args=[plan.pk]),
        reverse("plans:eligibility", args=[plan.eligibility_check_id]),
        reverse("plans:sign", args=[plan.pk]),
        reverse("administrations:detail", args=[session.pk]),
        reverse("administrations:ae_detail", args=[event.pk]),
        reverse("administrations:ae_list"),
        reverse("followup:calendar", args=[plan.patient_id]),
        reverse("followup:visit", args=[visit.pk]),
        reverse("followup:overdue"),
        reverse("examinations:detail", args=[plan.encounter_id]),
        reverse("intake:detail", args=[request.pk]),
        reverse("intake:queue"),
        reverse("products:detail", args=[session.product_id]),
        reverse("products:list"),
    ]
    opened: set[str] = set()
    for who in ("alice", "nina", "cora", "luke", "mona"):
        client = Client()
        client.force_login(getattr(cast, who))
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                continue  # a role without access sees no dates at all
            opened.add(url)
            shown = NO_ZONE.findall(_text(response.content.decode()))
            assert not shown, (who, url, shown)
    assert opened == set(pages)  # every page was read by at least one role
