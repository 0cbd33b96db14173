"""Writes for patients and related persons. Every change is audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.locking import update_versioned
from stromal.audit.services import require_reason, snapshot
from stromal.chronology import require_plausible_birth_date
from stromal.patients.guards import audit_change, require_patient_access, require_role, site_id_of
from stromal.patients.models import HEIGHT_CM_MAX, HEIGHT_CM_MIN, Patient, RelatedPerson
from stromal.patients.names import search_text
from stromal.patients.selectors import patients_with_same_name_and_birth

MRN_TAKEN = "Medical record number {mrn} is already used at this site."
HEIGHT_OUT_OF_RANGE = f"height_cm={{value!r}}: must be a number in {HEIGHT_CM_MIN}–{HEIGHT_CM_MAX} cm"
REASON_REQUIRED = "Give a reason for changing a patient's record."
CONFIRM_DUPLICATE_FIELD = "confirm_duplicate"
POSSIBLE_DUPLICATE = (
    "Possible duplicate: {patients} has the same name and date of birth at this site. Open that record "
    "instead, or, if this is a different person, tick the confirmation and register again."
)
DUPLICATE_CONFIRMED = (
    "Registered as a different person despite the same name and date of birth as {patients}."
)

PATIENT_WRITERS = (Role.COORDINATOR, Role.PHYSICIAN)
EDITABLE_FIELDS = ("given_name", "family_name", "sex", "date_of_birth", "height_cm", "email", "phone")


def _check_demographics(*, height_cm: float | None, date_of_birth: dt.date) -> None:
    if height_cm is not None and not HEIGHT_CM_MIN <= height_cm <= HEIGHT_CM_MAX:
        raise ValidationError({"height_cm": HEIGHT_OUT_OF_RANGE.format(value=height_cm)})
    # Not in the future and an age of 0-120 years (stromal.chronology, issue #8 class 5).
    require_plausible_birth_date("date_of_birth", date_of_birth)


def patient_create(
    *,
    user: User,
    mrn: str,
    given_name: str,
    family_name: str,
    sex: str,
    date_of_birth: dt.date,
    height_cm: float | None = None,
    email: str = "",
    phone: str = "",
    synthetic: bool = False,
    confirm_duplicate: bool = False,
) -> Patient:
    """Register a patient. The medical record number is unique at the site ignoring case and
    surrounding spaces (``tst-1`` is ``TST-1``; also a database constraint). A patient of the site with the same name (in any order, any case or accents)
    and date of birth (whatever the recorded sex) is refused as a possible duplicate unless
    ``confirm_duplicate``; the confirmation is the reason of the audited creation."""
    require_role(user, "register patients", *PATIENT_WRITERS)
    _check_demographics(height_cm=height_cm, date_of_birth=date_of_birth)
    mrn = mrn.strip()
    taken = Patient.objects.filter(site_id=site_id_of(user), mrn__iexact=mrn).values_list("mrn", flat=True)
    if taken:
        raise ValidationError({"mrn": MRN_TAKEN.format(mrn=taken[0])})
    twins = patients_with_same_name_and_birth(
        user=user, given_name=given_name, family_name=family_name, date_of_birth=date_of_birth
    )
    others = ", ".join(f"{p.full_name} ({p.mrn})" for p in twins)
    if twins and not confirm_duplicate:
        raise ValidationError({CONFIRM_DUPLICATE_FIELD: POSSIBLE_DUPLICATE.format(patients=others)})
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                site_id=site_id_of(user),
                mrn=mrn,
                given_name=given_name.strip(),
                family_name=family_name.strip(),
                sex=sex,
                date_of_birth=date_of_birth,
                height_cm=height_cm,
                email=email,
                phone=phone,
                synthetic=synthetic,
                search_text=search_text(given_name=given_name, family_name=family_name, mrn=mrn),
            )
            reason = DUPLICATE_CONFIRMED.format(patients=others) if twins else ""
            audit_change(
                actor=user, action="create", instance=patient, before=None, patient=patient, reason=reason
            )
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise ValidationError({"mrn": MRN_TAKEN.format(mrn=mrn)}) from exc
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, user: User, version: int, reason: str, **fields: object) -> Patient:
    require_role(user, "change patients", *PATIENT_WRITERS)
    require_patient_access(user, patient)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]}: not an editable patient field")
    require_reason(reason, REASON_REQUIRED)
    height = fields.get("height_cm", patient.height_cm)
    born = fields.get("date_of_birth", patient.date_of_birth)
    assert height is None or isinstance(height, int | float)
    assert isinstance(born, dt.date)
    _check_demographics(height_cm=height, date_of_birth=born)
    if "given_name" in fields or "family_name" in fields:  # keep the search text in step with the name
        names = {"given_name": patient.given_name, "family_name": patient.family_name, **fields}
        fields["search_text"] = search_text(
            given_name=str(names["given_name"]), family_name=str(names["family_name"]), mrn=patient.mrn
        )
    before = snapshot(patient)
    update_versioned(patient, expected_version=version, **fields)
    audit_change(actor=user, action="update", instance=patient, before=before, patient=patient, reason=reason)
    return patient


@transaction.atomic
def related_person_add(
    *,
    patient: Patient,
    user: User,
    name: str,
    relationship: str,
    contact: str = "",
    joins_decisions: bool = True,
) -> RelatedPerson:
    require_role(user, "add family members", *PATIENT_WRITERS)
    require_patient_access(user, patient)
    if not name.strip():
        raise ValidationError({"name": "name: is required"})
    person = RelatedPerson.objects.create(
        patient=patient,
        name=name.strip(),
        relationship=relationship.strip() or "family",
        contact=contact,
        joins_decisions=joins_decisions,
    )
    audit_change(actor=user, action="create", instance=person, before=None, patient=patient)
    return person
