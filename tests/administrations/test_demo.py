"""The demo's administrations keep the time rules they would be refused without."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from stromal.administrations import services
from stromal.administrations.models import AdministrationSession, AdverseEvent, SessionStatus, VitalSigns
from stromal.audit.selectors import audit_for_object
from stromal.demo import load_demo
from stromal.plans.models import Consent
from stromal.plans.selectors import valid_consent

pytestmark = pytest.mark.django_db


def test_every_demo_administration_is_on_its_day_after_consent_and_not_in_the_future(
    settings: Any, tmp_path: Any
) -> None:
    settings.VAR_DIR = tmp_path
    load_demo()
    now = timezone.now()
    started = AdministrationSession.objects.filter(started_at__isnull=False).select_related("plan")
    assert started.count() >= 9
    for session in started:
        assert session.started_at is not None and session.started_at <= now
        assert services.in_window(session, session.started_at) and session.off_schedule_by_id is None
        consent = valid_consent(session.plan)
        assert consent is not None and consent.given_at <= session.started_at
        if session.ended_at is not None:
            assert session.started_at <= session.ended_at <= now
    assert not VitalSigns.objects.filter(taken_at__gt=now).exists()
    assert not AdverseEvent.objects.filter(onset_at__gt=now).exists()
    statuses = set(started.values_list("status", flat=True))
    assert {SessionStatus.COMPLETED, SessionStatus.STOPPED, SessionStatus.INTERRUPTED} <= statuses
    # The demo's time shift is audited: the trail's last value of each shifted time is the record's.
    for consent in Consent.objects.all():
        last = audit_for_object(consent).order_by("-sequence").first()
        assert last is not None
        given = dict(last.changes).get("given_at")
        if given is not None:
            assert dt.datetime.fromisoformat(given[1]) == consent.given_at
