"""An appointment cannot lie before the request that asked for it (issue #8, class 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from stromal.intake.models import ConsultationRequest, RequestStatus
from stromal.intake.services import request_convert, request_transition
from tests.intake.test_services import _submit

pytestmark = pytest.mark.django_db


def _contacted(cast: Any, site: Any) -> ConsultationRequest:
    request = _submit(site)
    assert request is not None
    return request_transition(request=request, user=cast.cora, to_status="contacted", version=request.version)


def test_it_refuses_an_appointment_before_the_request_was_received(cast: Any, site: Any) -> None:
    request = _contacted(cast, site)
    with pytest.raises(ValidationError) as refused:
        request_transition(
            request=request,
            user=cast.cora,
            to_status="scheduled",
            version=request.version,
            scheduled_for=request.created_at - dt.timedelta(days=1),
        )
    assert "the request's receipt" in refused.value.message_dict["scheduled_for"][0]
    request.refresh_from_db()
    assert request.status == RequestStatus.CONTACTED and request.scheduled_for is None


def test_an_appointment_after_the_request_is_scheduled(cast: Any, site: Any) -> None:
    request = _contacted(cast, site)
    when = request.created_at + dt.timedelta(days=2)
    request_transition(
        request=request, user=cast.cora, to_status="scheduled", version=request.version, scheduled_for=when
    )
    request.refresh_from_db()
    assert request.scheduled_for == when


def test_it_refuses_an_examination_before_the_request_when_registering_the_patient(
    cast: Any, site: Any
) -> None:
    request = _contacted(cast, site)
    with pytest.raises(ValidationError) as refused:
        request_convert(
            request=request,
            user=cast.cora,
            version=request.version,
            mrn="MRN-NEW",
            given_name="Rosa",
            family_name="Request",
            sex="female",
            date_of_birth=dt.date(1970, 1, 1),
            examination_at=request.created_at - dt.timedelta(hours=2),
        )
    assert "examination_at" in refused.value.message_dict
    assert not ConsultationRequest.objects.filter(patient__isnull=False).exists()
