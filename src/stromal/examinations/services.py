"""Writes for encounters: schedule, open, record results, close, amend.

Results are entered as they arrive the same day. Each change of results
stores a new assessment snapshot stamped with the clinical library's rule
version, so a later change of rules never rewrites what was shown.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.locking import update_versioned
from stromal.audit.services import audit_record, require_reason, snapshot
from stromal.chronology import require_schedulable
from stromal.clinical.validation import ClinicalInputError, Kind, check_value
from stromal.examinations.assessing import assessment_inputs, run_assessments
from stromal.examinations.fields import SPECS
from stromal.examinations.models import (
    Amendment,
    Assessment,
    Encounter,
    EncounterKind,
    EncounterStatus,
    Observation,
)
from stromal.intake.models import ConsultationRequest
from stromal.patients.guards import audit_change, require_patient_access, require_role
from stromal.patients.models import Patient

ENCOUNTER_CLOSED = "This encounter is closed; correct it with an amendment and a reason."
ENCOUNTER_NOT_CLOSED = "Only a closed encounter is amended; an open one takes new results directly."
AMENDMENT_NEEDS_REASON = "Give the reason for the amendment."
NOTHING_TO_AMEND = "The amendment changes no value."
ALREADY_CLOSED = "This encounter is already closed."

SCHEDULERS = (Role.COORDINATOR, Role.PHYSICIAN)
RESULT_ENTRY = (Role.PHYSICIAN, Role.NURSE, Role.LAB)
CLOSERS = (Role.PHYSICIAN,)


def clean_values(values: Mapping[str, Any]) -> dict[str, float | int | bool | str]:
    """Validate each key and value (``None`` = not measured); raise a ValidationError per field."""
    clean: dict[str, float | int | bool | str] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        spec = SPECS.get(key)
        if spec is None:
            errors[key] = f"{key}: unknown observation key"
            continue
        if value is None or value == "":
            continue
        try:
            clean[key] = check_value(spec, value)
        except ClinicalInputError as exc:
            errors[key] = exc.in_words()
    if errors:
        raise ValidationError(errors)
    return clean


def current_values(encounter: Encounter) -> dict[str, float | int | bool | str]:
    return {o.key: _typed(o) for o in encounter.observations.filter(current=True)}


def _typed(o: Observation) -> float | int | bool | str:
    spec = SPECS.get(o.key)
    if spec is not None and spec.kind is Kind.INTEGER and o.value_number is not None:
        return int(o.value_number)
    return o.value


def _same(a: object, b: object) -> bool:
    if (
        isinstance(a, float | int)
        and isinstance(b, float | int)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    return a == b


@transaction.atomic
def encounter_schedule(
    *, patient: Patient, user: User, scheduled_for: dt.datetime, kind: str = EncounterKind.EXAMINATION
) -> Encounter:
    """Book an encounter for ``scheduled_for``.

    Rule: not before the patient's registration (or, for a patient registered from a
    consultation request, before that request's receipt) and at most
    ``chronology.SCHEDULING_HORIZON`` ahead.

    Raises:
        ValidationError: ``{"scheduled_for": ...}`` naming the rule.
    """
    require_role(user, "schedule examinations", *SCHEDULERS)
    require_patient_access(user, patient)
    require_schedulable(
        "scheduled_for", scheduled_for, **_earliest_appointment(patient), label="The examination"
    )
    encounter = Encounter.objects.create(patient=patient, kind=kind, scheduled_for=scheduled_for)
    audit_change(actor=user, action="create", instance=encounter, before=None, patient=patient)
    return encounter


def _earliest_appointment(patient: Patient) -> dict[str, Any]:
    """The event an appointment cannot precede: the request's receipt, else the registration."""
    request = ConsultationRequest.objects.filter(patient=patient).only("created_at").first()
    if request is not None:
        return {"earliest": request.created_at, "earliest_label": "the request's receipt"}
    return {"earliest": patient.created_at, "earliest_label": "the patient's registration"}


@transaction.atomic
def encounter_open(*, encounter: Encounter, user: User, version: int) -> Encounter:
    require_role(user, "open examinations", *RESULT_ENTRY)
    require_patient_access(user, encounter.patient)
    if encounter.status != EncounterStatus.SCHEDULED:
        return encounter
    before = snapshot(encounter)
    update_versioned(
        encounter, expected_version=version, status=EncounterStatus.OPEN, opened_at=timezone.now()
    )
    audit_change(actor=user, action="open", instance=encounter, before=before, patient=encounter.patient)
    return encounter


def cleared_keys(values: Mapping[str, Any]) -> set[str]:
    """Keys given explicitly as not measured (``None`` or ``""``): a recorded value of theirs is removed."""
    return {key for key, value in values.items() if key in SPECS and (value is None or value == "")}


def _store(
    *,
    encounter: Encounter,
    user: User,
    clean: Mapping[str, Any],
    amendment: Amendment | None,
    reason: str,
    cleared: Collection[str] = (),
) -> dict[str, list[Any]]:
    """Supersede changed values with new rows, retire the ``cleared`` ones (the row stays in the
    history); return {key: [old, new]} of what changed (new is None for a removed value)."""
    existing = {o.key: o for o in encounter.observations.select_for_update().filter(current=True)}
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(cleared) & set(existing)):
        Observation.objects.filter(pk=existing[key].pk).update(current=False)
        changes[key] = [_typed(existing[key]), None]
    for key, value in clean.items():
        old = existing.get(key)
        old_value = _typed(old) if old else None
        if old is not None and _same(old_value, value):
            continue
        if old is not None:
            Observation.objects.filter(pk=old.pk).update(current=False)
        spec = SPECS[key]
        Observation.objects.create(
            encounter=encounter,
            key=key,
            value_number=float(value) if spec.kind in (Kind.NUMBER, Kind.INTEGER) else None,
            value_boolean=value if spec.kind is Kind.BOOLEAN else None,
            value_text=value if spec.kind is Kind.CHOICE else "",
            unit=spec.unit[:20],
            recorded_by=user,
            amendment=amendment,
        )
        changes[key] = [old_value, value]
    if changes:
        audit_record(
            actor=user,
            action="amend" if amendment else "results",
            instance=encounter,
            changes=changes,
            reason=reason,
            site_id=encounter.patient.site_id,
            patient_id=encounter.patient_id,
        )
    return changes


@transaction.atomic
def observations_record(
    *, encounter: Encounter, user: User, values: Mapping[str, Any], version: int
) -> dict[str, list[Any]]:
    """Enter results on a scheduled or open encounter (opening it). Returns what changed.

    A key given as ``None`` (not measured; a field emptied on the form) removes its recorded value;
    the removal is audited and the old row stays in the history. Keys not given are left as they are.
    """
    require_role(user, "enter results", *RESULT_ENTRY)
    require_patient_access(user, encounter.patient)
    if encounter.is_closed:
        raise ValidationError(ENCOUNTER_CLOSED)
    clean = clean_values(values)
    fields: dict[str, Any] = {}
    if encounter.status == EncounterStatus.SCHEDULED:
        fields = {"status": EncounterStatus.OPEN, "opened_at": timezone.now()}
    update_versioned(encounter, expected_version=version, **fields)
    changes = _store(
        encounter=encounter, user=user, clean=clean, amendment=None, reason="", cleared=cleared_keys(values)
    )
    if changes:
        assessment_refresh(encounter=encounter)
    return changes


@transaction.atomic
def encounter_close(*, encounter: Encounter, user: User, version: int) -> Encounter:
    require_role(user, "close examinations", *CLOSERS)
    require_patient_access(user, encounter.patient)
    if encounter.is_closed:
        raise ValidationError(ALREADY_CLOSED)
    before = snapshot(encounter)
    now = timezone.now()
    update_versioned(
        encounter,
        expected_version=version,
        status=EncounterStatus.CLOSED,
        closed_at=now,
        closed_by=user,
        opened_at=encounter.opened_at or now,
    )
    audit_change(actor=user, action="close", instance=encounter, before=before, patient=encounter.patient)
    assessment_refresh(encounter=encounter)
    return encounter


@transaction.atomic
def encounter_amend(
    *, encounter: Encounter, user: User, values: Mapping[str, Any], reason: str, version: int
) -> Amendment:
    """Correct a closed encounter: new values with who, when and why; the old values stay in history."""
    require_role(user, "amend examinations", *CLOSERS)
    require_patient_access(user, encounter.patient)
    if not encounter.is_closed:
        raise ValidationError(ENCOUNTER_NOT_CLOSED)
    require_reason(reason, AMENDMENT_NEEDS_REASON)
    clean = clean_values(values)
    update_versioned(encounter, expected_version=version)
    amendment = Amendment.objects.create(encounter=encounter, reason=reason.strip(), amended_by=user)
    changes = _store(
        encounter=encounter,
        user=user,
        clean=clean,
        amendment=amendment,
        reason=reason.strip(),
        cleared=cleared_keys(values),
    )
    if not changes:
        raise ValidationError(NOTHING_TO_AMEND)
    assessment_refresh(encounter=encounter)
    return amendment


def assessment_refresh(*, encounter: Encounter) -> Assessment | None:
    """Store a new assessment snapshot if the inputs, results or rule version changed."""
    inputs = assessment_inputs(encounter=encounter, values=current_values(encounter))
    rules_version, results = run_assessments(inputs)
    latest = encounter.assessments.order_by("-sequence").first()
    if (
        latest
        and latest.rules_version == rules_version
        and latest.inputs == inputs
        and latest.results == results
    ):
        return None
    return Assessment.objects.create(
        encounter=encounter,
        sequence=(latest.sequence + 1) if latest else 1,
        rules_version=rules_version,
        inputs=inputs,
        results=results,
    )
