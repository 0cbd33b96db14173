from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from stromal.audit.locking import STALE_EDIT
from stromal.audit.models import AuditEvent
from stromal.chronology import AGE_OUT_OF_RANGE, MAX_AGE_YEARS, age_in_years
from stromal.patients.models import Patient
from stromal.patients.selectors import patient_get, patient_list
from stromal.patients.services import MRN_TAKEN, REASON_REQUIRED, patient_update
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db


def test_the_mrn_is_unique_per_site_only(cast: Any) -> None:
    make_patient(cast.cora, "MRN-7")
    with pytest.raises(ValidationError, match=MRN_TAKEN.format(mrn="MRN-7")):
        make_patient(cast.alice, "MRN-7")
    assert make_patient(cast.oscar, "MRN-7").site == cast.oscar.site  # another site may reuse it


def test_the_database_refuses_a_duplicate_mrn(cast: Any) -> None:
    patient = make_patient(cast.cora, "MRN-8")
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            site=patient.site,
            mrn="MRN-8",
            given_name="a",
            family_name="b",
            sex="male",
            date_of_birth=dt.date(1980, 1, 1),
        )


def test_height_out_of_range_is_refused_with_field_and_rule(cast: Any) -> None:
    with pytest.raises(ValidationError) as info:
        make_patient(cast.cora, "MRN-9", height_cm=1.65)
    assert "height_cm=1.65" in info.value.message_dict["height_cm"][0]


def test_nurses_and_monitors_do_not_register_patients(cast: Any) -> None:
    for user in (cast.nina, cast.mona, cast.ivan, cast.luke):
        with pytest.raises(PermissionDenied):
            make_patient(user, "MRN-X")


def test_an_update_needs_a_reason_and_the_current_version(cast: Any) -> None:
    patient = make_patient(cast.cora)
    with pytest.raises(ValidationError, match=REASON_REQUIRED):
        patient_update(patient=patient, user=cast.cora, version=patient.version, reason="", height_cm=170.0)
    stale = Patient.objects.get(pk=patient.pk)
    patient_update(
        patient=patient, user=cast.cora, version=patient.version, reason="measured", height_cm=170.0
    )
    with pytest.raises(ValidationError, match=STALE_EDIT):
        patient_update(patient=stale, user=cast.alice, version=stale.version, reason="typo", height_cm=171.0)
    event = AuditEvent.objects.get(object_type="patients.patient", action="update")
    assert event.changes["height_cm"] == [165.0, 170.0] and event.reason == "measured"


def test_users_see_only_their_sites_patients(cast: Any) -> None:
    mine = make_patient(cast.cora, "A-1")
    theirs = make_patient(cast.oscar, "B-1")
    assert list(patient_list(user=cast.mona)) == [mine]
    with pytest.raises(Http404):
        patient_get(user=cast.alice, pk=theirs.pk)


def _years_before_today(years: int, days: int = 0) -> dt.date:
    """Today's date ``years`` ago (28 February for a 29 February), minus ``days``."""
    today = timezone.localdate()
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    return dt.date(today.year - years, today.month, day) - dt.timedelta(days=days)


def test_it_refuses_a_date_of_birth_of_0001_01_01(cast: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        make_patient(cast.cora, "MRN-OLD", date_of_birth=dt.date(1, 1, 1))
    message = refused.value.message_dict["date_of_birth"][0]
    assert message == AGE_OUT_OF_RANGE.format(
        label="Date of birth",
        value="0001-01-01",
        age=age_in_years(dt.date(1, 1, 1), timezone.localdate()),
        max_age=120,
    )
    assert not Patient.objects.filter(mrn="MRN-OLD").exists()


@pytest.mark.parametrize(
    ("born", "accepted"),
    [
        (lambda: timezone.localdate(), True),  # a newborn: age 0
        (lambda: _years_before_today(MAX_AGE_YEARS), True),  # 120 today
        (lambda: _years_before_today(MAX_AGE_YEARS + 1), False),  # 121 today
        (lambda: _years_before_today(MAX_AGE_YEARS + 1, days=-1), True),  # 121 tomorrow: 120 today
        (lambda: timezone.localdate() + dt.timedelta(days=1), False),  # not born yet
    ],
)
def test_a_date_of_birth_gives_an_age_of_0_to_120(cast: Any, born: Any, accepted: bool) -> None:
    if accepted:
        make_patient(cast.cora, "MRN-AGE", date_of_birth=born())
    else:
        with pytest.raises(ValidationError) as refused:
            make_patient(cast.cora, "MRN-AGE", date_of_birth=born())
        assert "date_of_birth" in refused.value.message_dict


def test_an_update_to_an_implausible_date_of_birth_is_refused(cast: Any) -> None:
    patient = make_patient(cast.cora)
    with pytest.raises(ValidationError) as refused:
        patient_update(
            patient=patient,
            user=cast.cora,
            version=patient.version,
            reason="typo",
            date_of_birth=dt.date(1, 1, 1),
        )
    assert "date_of_birth" in refused.value.message_dict
    patient.refresh_from_db()
    assert patient.date_of_birth == dt.date(1970, 5, 17)
