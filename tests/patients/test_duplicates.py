"""The same name and date of birth under a new record number: warned, and registered only when confirmed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from stromal.audit.models import AuditEvent
from stromal.patients.models import Patient
from stromal.patients.services import CONFIRM_DUPLICATE_FIELD, DUPLICATE_CONFIRMED, MRN_TAKEN, patient_create
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db

BORN = dt.date(1970, 5, 17)


def _register(cast: Any, mrn: str, **kwargs: Any) -> Patient:
    fields: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "sex": "female",
        "date_of_birth": BORN,
    }
    return patient_create(user=cast.cora, mrn=mrn, **{**fields, **kwargs})


def test_the_same_name_and_birth_date_with_a_new_mrn_is_refused_as_a_possible_duplicate(cast: Any) -> None:
    _register(cast, "MRN-1")
    with pytest.raises(ValidationError) as caught:
        _register(cast, "MRN-2", given_name="LOVELACE", family_name="ádá")  # swapped, other case and accents
    assert CONFIRM_DUPLICATE_FIELD in caught.value.message_dict
    assert "Ada Lovelace (MRN-1)" in caught.value.message_dict[CONFIRM_DUPLICATE_FIELD][0]
    assert Patient.objects.count() == 1


def test_a_confirmed_different_person_is_registered_and_the_confirmation_audited(cast: Any) -> None:
    _register(cast, "MRN-1")
    patient = _register(cast, "MRN-2", confirm_duplicate=True)
    event = AuditEvent.objects.filter(action="create", object_id=str(patient.pk)).get()
    assert event.reason == DUPLICATE_CONFIRMED.format(patients="Ada Lovelace (MRN-1)")


def test_another_birth_date_or_another_site_is_no_duplicate(cast: Any) -> None:
    _register(cast, "MRN-1")
    _register(cast, "MRN-2", date_of_birth=dt.date(1971, 5, 17))
    patient_create(
        user=cast.oscar, mrn="S-1", given_name="Ada", family_name="Lovelace", sex="female", date_of_birth=BORN
    )
    assert Patient.objects.count() == 3


def _form(**extra: str) -> dict[str, str]:
    return {
        "mrn": "MRN-2",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "sex": "female",
        "date_of_birth": "1970-05-17",
        **extra,
    }


def test_the_registration_page_warns_and_asks_for_a_confirmation(client: Any, cast: Any) -> None:
    make_patient(cast.cora, "MRN-1", given_name="Ada", family_name="Lovelace", date_of_birth=BORN)
    client.force_login(cast.cora)
    first = client.get(reverse("patients:new")).content.decode()
    assert 'type="checkbox" name="confirm_duplicate"' not in first  # no tick box before a warning
    warned = client.post(reverse("patients:new"), _form())
    page = warned.content.decode()
    assert warned.status_code == 400 and "Possible duplicate: Ada Lovelace (MRN-1)" in page
    assert 'type="checkbox" name="confirm_duplicate"' in page
    assert Patient.objects.count() == 1
    confirmed = client.post(reverse("patients:new"), _form(confirm_duplicate="on"))
    assert confirmed.status_code == 302 and Patient.objects.count() == 2


def test_converting_a_request_for_a_registered_person_warns_and_converts_only_when_confirmed(
    client: Any, cast: Any, site: Any
) -> None:
    from stromal.intake.models import ConsultationRequest, RequestStatus

    make_patient(cast.cora, "MRN-1", given_name="Ada", family_name="Lovelace", date_of_birth=BORN)
    request = ConsultationRequest.objects.create(
        site=site,
        full_name="Ada Lovelace",
        contact_method="email",
        email="ada@example.org",
        condition="c",
        status=RequestStatus.SCHEDULED,
    )
    form = {
        "convert": "1",
        "version": str(request.version),
        "mrn": "MRN-2",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "sex": "female",
        "date_of_birth": "1970-05-17",
        "examination_at": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
    }
    client.force_login(cast.cora)
    url = reverse("intake:detail", kwargs={"pk": request.pk})
    warned = client.post(url, form)
    assert warned.status_code == 400 and "Possible duplicate: Ada Lovelace (MRN-1)" in warned.content.decode()
    assert 'type="checkbox" name="confirm_duplicate"' in warned.content.decode()
    assert Patient.objects.count() == 1
    assert client.post(url, {**form, "confirm_duplicate": "on"}).status_code == 302
    assert Patient.objects.filter(mrn="MRN-2").exists()


def test_the_duplicate_warning_ignores_the_recorded_sex(cast: Any) -> None:
    _register(cast, "MRN-1")
    with pytest.raises(ValidationError) as caught:
        _register(cast, "MRN-2", sex="male")
    assert CONFIRM_DUPLICATE_FIELD in caught.value.message_dict
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("mrn", ["tst-1", "  TST-1  ", "Tst-1"])
def test_an_mrn_differing_only_in_case_or_spaces_is_refused(cast: Any, mrn: str) -> None:
    _register(cast, "TST-1")
    with pytest.raises(ValidationError) as caught:
        _register(cast, mrn, given_name="Grace", family_name="Hopper")
    assert caught.value.message_dict["mrn"] == [MRN_TAKEN.format(mrn="TST-1")]
    assert Patient.objects.count() == 1


def test_the_database_refuses_an_mrn_differing_only_in_case(cast: Any) -> None:
    patient = _register(cast, "TST-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            site_id=patient.site_id,
            mrn="tst-1",
            given_name="Grace",
            family_name="Hopper",
            sex="female",
            date_of_birth=BORN,
        )


def test_the_registration_page_refuses_an_mrn_in_another_case(client: Any, cast: Any) -> None:
    make_patient(cast.cora, "TST-1")
    client.force_login(cast.cora)
    response = client.post(reverse("patients:new"), _form(mrn="tst-1"))
    assert response.status_code == 400
    assert MRN_TAKEN.format(mrn="TST-1") in response.content.decode()
    assert Patient.objects.count() == 1
