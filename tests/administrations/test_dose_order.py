"""Issue #8: doses are given in their order; dose 2 waits until dose 1 is done."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from stromal.administrations import services
from stromal.administrations.models import SessionStatus
from tests.administrations.factories import allocated_session, ready_plan, running_session

pytestmark = pytest.mark.django_db


def test_dose_2_authorised_early_is_not_thawed_while_dose_1_is_not_given(cast: Any) -> None:
    plan = ready_plan(cast)
    second = allocated_session(cast, plan, 2)  # Dr Alice documented why day 2 is given today
    assert second.off_schedule_reason
    with pytest.raises(ValidationError) as exc:
        services.session_prepare(session=second, user=cast.nina, version=second.version)
    assert exc.value.code == "earlier_not_done"
    assert "administration 1 is 'scheduled'" in exc.value.messages[0]
    second.refresh_from_db()
    assert second.status == SessionStatus.SCHEDULED


def test_dose_2_waits_while_dose_1_runs_and_goes_ahead_once_dose_1_is_completed(cast: Any) -> None:
    plan = ready_plan(cast)
    first = running_session(cast, plan, 1)
    second = allocated_session(cast, plan, 2)
    with pytest.raises(ValidationError, match="administration 1 is 'running'"):
        services.session_prepare(session=second, user=cast.nina, version=second.version)
    first.refresh_from_db()
    services.session_record_given(
        session=first, user=cast.nina, version=first.version, volume_given_ml=50, cells_given=80e6
    )
    second.refresh_from_db()
    second = services.session_prepare(session=second, user=cast.nina, version=second.version)
    assert second.status == SessionStatus.PREPARED


def test_the_prepare_button_shows_why_dose_2_must_wait(cast: Any) -> None:
    plan = ready_plan(cast)
    second = allocated_session(cast, plan, 2)
    client = Client()
    client.force_login(cast.nina)
    response = client.post(reverse("administrations:prepare", args=[second.pk]), {"version": second.version})
    assert response.status_code == 400
    assert "Administration 2 cannot be prepared while administration 1 is" in response.content.decode()
    second.refresh_from_db()
    assert second.status == SessionStatus.SCHEDULED
