"""Issue #8: a scheduled vitals time point is recorded only once it is (almost) reached."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.administrations import services
from stromal.administrations.models import AdministrationSession
from stromal.chronology import TIME_POINT_EARLY_TOLERANCE
from tests.administrations.factories import BASELINE, checked_session

pytestmark = pytest.mark.django_db


def _started(cast: Any, minutes_ago: int) -> AdministrationSession:
    session = checked_session(cast)
    return services.session_start(
        session=session,
        user=cast.nina,
        version=session.version,
        baseline=BASELINE,
        started_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


@pytest.mark.parametrize("minute", [60, 90, 120])
def test_vitals_for_a_time_point_not_yet_reached_are_refused_at_minute_44(cast: Any, minute: int) -> None:
    session = _started(cast, 44)
    with pytest.raises(ValidationError) as exc:
        services.vitals_record(
            session=session, user=cast.nina, values={"spo2_pct": 95}, scheduled_minute=minute
        )
    assert f"{minute} min is not reached yet" in exc.value.message_dict["scheduled_minute"][0]
    assert not session.vitals.exists()


def test_a_time_point_is_recorded_up_to_the_tolerance_early_and_not_a_second_more(cast: Any) -> None:
    session = _started(cast, 44)
    assert session.started_at is not None
    due = session.started_at + dt.timedelta(minutes=30)
    services.vitals_record(
        session=session,
        user=cast.nina,
        values={"spo2_pct": 95},
        taken_at=due - TIME_POINT_EARLY_TOLERANCE,
        scheduled_minute=30,
    )
    with pytest.raises(ValidationError):
        services.vitals_record(
            session=session,
            user=cast.nina,
            values={"spo2_pct": 95},
            taken_at=due - TIME_POINT_EARLY_TOLERANCE - dt.timedelta(seconds=1),
            scheduled_minute=30,
        )
    assert session.vitals.count() == 1


def test_the_vitals_page_refuses_the_60_minute_point_at_minute_44(cast: Any) -> None:
    session = _started(cast, 44)
    client = Client()
    client.force_login(cast.nina)
    response = client.post(
        reverse("administrations:vitals", args=[session.pk]), {"scheduled_minute": "60", "spo2_pct": "95"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_scheduled_minute-error"' in page and "60 min is not reached yet" in page
    assert not session.vitals.exists()
