"""One user action, one record: the same form page posted twice stores one record (view level, real database).

Each test opens the form page as a browser would, fills it, and sends the very
same body twice (a double click, the browser's resend).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.administrations.models import AdverseEvent
from stromal.intake.models import ConsultationRequest
from stromal.plans.services import meeting_record
from stromal.submissions.middleware import ALREADY_SUBMITTED
from tests.administrations.factories import drafted_plan, running_session
from tests.htmlforms import post_forms_of
from tests.pathway.factories import approve, make_patient

pytestmark = pytest.mark.django_db

NOW = "%Y-%m-%dT%H:%M"


def _post_twice(client: Client, url: str, **values: Any) -> tuple[Any, Any]:
    page = client.get(url)
    assert page.status_code == 200
    (form,) = [f for f in post_forms_of(page.content.decode()) if "submission_token" in f.names()]
    data = form.data(**values)
    first = client.post(form.action or url, data)
    second = client.post(form.action or url, data)
    return first, second


def _assert_same_result(first: Any, second: Any) -> None:
    assert first.status_code == 302, first.content.decode()[:2000]
    assert second.status_code == 302 and second["Location"] == first["Location"]


def test_the_public_request_posted_twice_is_stored_once(client: Client, site: Any) -> None:
    first, second = _post_twice(
        client,
        reverse("intake:public_request"),
        full_name="Rosa Request",
        contact_method="phone",
        phone="+44 20 7946 0000",
        condition="Breathless after ARDS.",
    )
    _assert_same_result(first, second)
    assert ConsultationRequest.objects.count() == 1


def test_an_adverse_event_posted_twice_is_stored_once(client: Client, cast: Any) -> None:
    session = running_session(cast)
    client.force_login(cast.nina)
    first, second = _post_twice(
        client,
        reverse("administrations:ae_report", args=[session.pk]),
        term="Fever",
        onset_at=timezone.localtime().strftime(NOW),
        description="38.9 C after the infusion",
    )
    _assert_same_result(first, second)
    assert AdverseEvent.objects.filter(session=session).count() == 1


def test_vitals_posted_twice_are_stored_once(client: Client, cast: Any) -> None:
    session = running_session(cast)
    before = session.vitals.count()
    client.force_login(cast.nina)
    first, second = _post_twice(
        client,
        reverse("administrations:vitals", args=[session.pk]) + "?minute=15",
        heart_rate_bpm="92",
        spo2_pct="94",
    )
    _assert_same_result(first, second)
    assert session.vitals.count() == before + 1


def test_a_family_member_posted_twice_is_stored_once(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    first, second = _post_twice(
        client,
        reverse("patients:related_new", kwargs={"pk": patient.pk}),
        name="Paul Person",
        relationship="son",
        contact="+44 20 7946 0001",
    )
    _assert_same_result(first, second)
    assert patient.related_persons.count() == 1


def test_a_consent_posted_twice_is_stored_once(client: Client, cast: Any) -> None:
    plan = approve(cast, drafted_plan(cast))
    meeting_record(
        plan=plan,
        user=cast.alice,
        held_at=timezone.now(),
        physicians=[cast.alice, cast.bob],
        options_discussed=["conventional", plan.arm_name],
    )
    client.force_login(cast.alice)
    first, second = _post_twice(
        client,
        reverse("plans:consent", kwargs={"pk": plan.pk}),
        given_by="Test Person",
        given_at=timezone.localtime().strftime(NOW),
        witness_name="Wendy Witness",
        information_sheet_version="PIS v2.1",
    )
    _assert_same_result(first, second)
    assert plan.consents.count() == 1


def test_the_repeat_is_told_that_nothing_was_saved_twice(client: Client, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.cora)
    _, second = _post_twice(
        client,
        reverse("patients:related_new", kwargs={"pk": patient.pk}),
        name="Paul Person",
        relationship="son",
    )
    assert ALREADY_SUBMITTED in client.get(second["Location"]).content.decode()
