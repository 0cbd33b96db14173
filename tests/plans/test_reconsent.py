"""Issue #8: consent comes before treatment; a second consent is a re-consent with a reason,
and every consent stays on the plan page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.audit.models import AuditEvent
from stromal.plans.models import Consent, PatientDecision
from stromal.plans.selectors import consent_history, valid_consent
from stromal.plans.services import consent_record
from tests.administrations.factories import CONSENT_AGO, running_session

pytestmark = pytest.mark.django_db


def _reconsent(cast: Any, plan: Any, *, reason: str, ago: dt.timedelta = dt.timedelta(minutes=10)) -> Consent:
    return consent_record(
        plan=plan,
        user=cast.alice,
        given_by="Test Person",
        given_at=timezone.now() - ago,
        witness_name="Walter Witness",
        information_sheet_version="PIS v3.0",
        reason=reason,
    )


def test_a_second_consent_after_treatment_without_a_reason_is_refused(cast: Any) -> None:
    plan = running_session(cast).plan
    with pytest.raises(ValidationError) as exc:
        _reconsent(cast, plan, reason="  ")
    assert "re-consent" in exc.value.message_dict["reason"][0]
    assert Consent.objects.filter(plan=plan).count() == 1


def test_a_re_consent_with_a_reason_is_kept_beside_the_first_and_audited(cast: Any) -> None:
    plan = running_session(cast).plan
    first = valid_consent(plan)
    again = _reconsent(cast, plan, reason="New information sheet v3.0 after a safety update.")
    assert consent_history(plan) == [again, first]  # newest first; the first is not hidden
    assert valid_consent(plan) == again and again.reason.startswith("New information sheet")
    event = AuditEvent.objects.get(action="consent:reconsent", object_id=str(again.pk))
    assert event.reason == "New information sheet v3.0 after a safety update."


def test_a_re_consent_dated_before_the_latest_consent_is_refused(cast: Any) -> None:
    plan = running_session(cast).plan
    with pytest.raises(ValidationError) as exc:
        _reconsent(cast, plan, reason="Backdated", ago=CONSENT_AGO + dt.timedelta(minutes=5))
    assert "given_at" in exc.value.message_dict
    assert Consent.objects.filter(plan=plan).count() == 1


def test_a_first_consent_dated_after_the_first_administration_started_is_refused(cast: Any) -> None:
    session = running_session(cast)
    plan = session.plan
    # A plan whose consent record is lost: the next consent is a first one, after the start.
    PatientDecision.objects.filter(plan=plan).delete()
    Consent.objects.filter(plan=plan).delete()
    with pytest.raises(ValidationError) as exc:
        _reconsent(cast, plan, reason="")
    assert "first administration started" in exc.value.message_dict["given_at"][0]
    assert not Consent.objects.filter(plan=plan).exists()


def test_the_plan_page_keeps_every_consent_and_marks_the_newest_current(cast: Any) -> None:
    plan = running_session(cast).plan
    client = Client()
    client.force_login(cast.alice)
    url = reverse("plans:consent", args=[plan.pk])
    form = {
        "given_by": "Test Person",
        "given_by_relationship": "self",
        "given_at": timezone.localtime(timezone.now() - dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M"),
        "witness_name": "Walter Witness",
        "information_sheet_version": "PIS v3.0",
    }
    refused = client.post(url, form)
    assert refused.status_code == 400 and "re-consent" in refused.content.decode()
    assert client.post(url, {**form, "reason": "Safety update"}).status_code == 302
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    history = page[page.index('<ul id="consents">') :]
    history = history[: history.index("</ul>")]
    assert history.count("<li") == 2
    assert '<li class="current"><strong>Current:</strong>' in history
    assert history.index("PIS v3.0") < history.index("PIS v2.1")  # newest first, the original kept
    assert "re-consent: Safety update" in history
