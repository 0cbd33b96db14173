"""Meeting, consent and decision are never in the future and keep the pathway's order (issue #8, class 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.chronology import CLOCK_SKEW
from stromal.plans.models import Consent, PlanMeeting, TreatmentPlan
from stromal.plans.services import consent_record, decision_record, meeting_record
from tests.pathway.factories import approve, make_plan

pytestmark = pytest.mark.django_db


def _consent(cast: Any, plan: TreatmentPlan, given_at: dt.datetime) -> Consent:
    return consent_record(
        plan=plan,
        user=cast.cora,
        given_by="Test Person",
        given_at=given_at,
        witness_name="Wendy Witness",
        information_sheet_version="PIS v2.1",
    )


def _meeting(cast: Any, plan: TreatmentPlan, held_at: dt.datetime) -> PlanMeeting:
    return meeting_record(
        plan=plan,
        user=cast.alice,
        held_at=held_at,
        physicians=[cast.alice, cast.bob],
        options_discussed=["conventional", plan.arm_name],
    )


def test_it_refuses_consent_dated_2031(cast: Any) -> None:
    plan = make_plan(cast)
    with pytest.raises(ValidationError) as refused:
        _consent(cast, plan, dt.datetime(2031, 3, 1, 10, 0, tzinfo=dt.UTC))
    assert "cannot be later than now" in refused.value.message_dict["given_at"][0]
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("ahead", "accepted"),
    [(CLOCK_SKEW - dt.timedelta(seconds=10), True), (CLOCK_SKEW + dt.timedelta(seconds=10), False)],
)
def test_consent_a_little_ahead_of_the_server_clock_is_accepted_up_to_the_skew(
    cast: Any, ahead: dt.timedelta, accepted: bool
) -> None:
    plan = make_plan(cast)
    if accepted:
        _consent(cast, plan, timezone.now() + ahead)
    else:
        with pytest.raises(ValidationError):
            _consent(cast, plan, timezone.now() + ahead)


def test_it_refuses_consent_before_the_plans_day_0(cast: Any) -> None:
    plan = make_plan(cast)
    day_before = timezone.make_aware(dt.datetime.combine(plan.start_date - dt.timedelta(days=1), dt.time(12)))
    with pytest.raises(ValidationError) as refused:
        _consent(cast, plan, day_before)
    assert "the plan's day 0" in refused.value.message_dict["given_at"][0]


def test_it_refuses_a_meeting_in_the_future_or_before_day_0(cast: Any) -> None:
    plan = make_plan(cast)
    with pytest.raises(ValidationError) as refused:
        _meeting(cast, plan, timezone.now() + dt.timedelta(days=1))
    assert "cannot be later than now" in refused.value.message_dict["held_at"][0]
    with pytest.raises(ValidationError):
        _meeting(cast, plan, timezone.make_aware(dt.datetime(2001, 1, 1, 9)))
    assert not PlanMeeting.objects.exists()


def test_an_accept_is_refused_when_the_consent_it_rests_on_is_dated_after_it(cast: Any) -> None:
    plan = approve(cast, make_plan(cast))
    consent = _consent(cast, plan, timezone.now() + dt.timedelta(minutes=4))  # inside the skew
    with pytest.raises(ValidationError) as refused:
        decision_record(plan=plan, user=cast.cora, decision="accept", consent=consent)
    assert "cannot be before consent" in refused.value.message_dict["consent"][0]


def test_the_consent_form_shows_the_refusal_next_to_the_field(cast: Any) -> None:
    plan = make_plan(cast)
    client = Client()
    client.force_login(cast.cora)
    response = client.post(
        reverse("plans:consent", args=[plan.pk]),
        {
            "given_by": "Test Person",
            "given_by_relationship": "self",
            "given_at": "2031-03-01T10:00",
            "witness_name": "Wendy Witness",
            "information_sheet_version": "PIS v2.1",
        },
    )
    assert response.status_code == 400
    assert "cannot be later than now" in response.content.decode()
    assert not Consent.objects.exists()
