"""Recording the outcome instruments of a follow-up visit, correcting them, and adverse events
found at a visit.

``visit_record`` takes one whole visit page (the visit date, the weight measured
there, and each due instrument's answers or the reason it was not done) and
saves all of it in one transaction or nothing: every answer is validated by the
instrument's definition in ``stromal.clinical.instruments`` first, and every
refusal names its field (``"<instrument>-<item>"``, or the instrument code for a
refusal about the instrument as a whole). A saved response is changed only by
``instrument_correct``, with a reason, audited old -> new. A vital status of
"dead" closes the visits planned after the date of death (status ``not_due``),
and correcting it reopens them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.administrations.models import STARTED_STATES, AdministrationSession, AdverseEvent
from stromal.administrations.services import AE_REPORTERS
from stromal.audit.locking import check_version, update_versioned
from stromal.audit.services import require_reason, snapshot
from stromal.chronology import require_not_before, require_not_future
from stromal.clinical.instruments import Instrument, ScoreValue, Value
from stromal.clinical.validation import ClinicalInputError, plain_message
from stromal.followup.due import scoring_of, subject_for
from stromal.followup.models import (
    WEIGHT_KG_RANGE,
    Discharge,
    FollowUpVisit,
    InstrumentNotDone,
    InstrumentResponse,
    VisitStatus,
)
from stromal.followup.selectors import death_of, visit_instruments
from stromal.followup.services.visits import (
    INSTRUMENT_MISSING,
    VISIT_CLOSED,
    VISIT_RECORDERS,
    require_visit_date,
)
from stromal.patients.guards import audit_change, require_patient_access, require_role
from stromal.patients.models import Patient
from stromal.plans.selectors import plan_lineage

VALUES_AND_REASON = "Give the values or the reason it was not done, not both."
ALREADY_RECORDED = "{title} is already recorded at this visit; correct it with a reason instead."
NOT_DUE_HERE = "{title} is not due at this visit{why}; leave it empty."
WEIGHT_NEEDED = "Record the weight measured at the visit: the six-minute walk reference needs it."
WEIGHT_RANGE = "Weight {value:g} kg is outside the accepted range 20–400 kg."
HEIGHT_NEEDED = "Record the patient's height on the patient record first: {title} is scored against it."
VISIT_DATE_NEEDED = "Give the visit date to complete the visit."
CORRECTION_NEEDS_REASON = "Give the reason for the correction (kept in the history)."
CORRECTION_NO_CHANGE = "The correction changes nothing."
NOTHING_TO_CORRECT = "{title} has nothing recorded at this visit yet; record it on the visit page."
NO_WITHDRAWAL = "A recorded {title} is corrected, not withdrawn: correct its values."
NOT_DONE_NEEDS_REASON = "Give the reason {title} was not done."
NOT_RECORDING = "Only a scheduled visit is recorded here; correct a recorded visit instead."
AE_NEEDS_TERM = "Name the event (e.g. 'pneumonia', 'fall')."
AE_VISIT_CLOSED = (
    "Adverse events are reported at a visit being recorded or recorded, not at a {status} visit."
)
AE_BEFORE_TREATMENT = (
    "No administration was given in this course; adverse events are reported after the first administration."
)

DEATH_BEFORE_DISCHARGE = (
    "Date of death {value} cannot be before the discharge ({alive}), when the patient was alive."
)
DIED = "the patient died on {date} (recorded at the {visit} visit)"
NOT_DUE_NOTE = "Not due: " + DIED + "."


@dataclass(frozen=True)
class InstrumentEntry:
    """What the visit page sent for one instrument: its answers (item name -> value; ``None``
    or blank text is "not answered") or, instead, the reason it was not done."""

    answers: Mapping[str, object] = field(default_factory=dict)
    not_done_reason: str = ""

    def given(self) -> dict[str, object]:
        return {k: v for k, v in self.answers.items() if not _blank(v)}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def refusal_in_words(instrument: Instrument, error: ClinicalInputError) -> str:
    """An instrument's refusal for a page: the item's label, the value with its unit, the rule."""
    if error.spec is not None:
        return plain_message(error.spec, error)
    try:
        label = instrument.item(error.field).label
    except KeyError:
        label = error.field.replace("_", " ")
    return f"{label[:1].upper()}{label[1:]}: {error.rule}"


def _json_answers(clean: Mapping[str, Value]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in clean.items()}


@dataclass(frozen=True)
class _Scored:
    answers: dict[str, Any]
    scores: dict[str, ScoreValue]
    scoring_name: str
    scoring_version: str
    scoring_problem: str
    subject: dict[str, Any]


def _score(
    instrument: Instrument,
    raw: Mapping[str, object],
    *,
    patient: Patient,
    on: dt.date,
    weight_kg: float | None,
    errors: dict[str, list[str]],
    alive_on: dt.date | None = None,
) -> _Scored | None:
    """Validate and score one instrument's answers; refusals go to ``errors`` (None returned).

    ``alive_on`` is a day the patient is known to have been alive (the discharge): a date of
    death before it is refused.

    A valid response that its equation cannot score (an age outside the reference
    population) is kept with the reason in ``scoring_problem``: entered values are never lost.
    """
    today = timezone.localdate()
    problems = instrument.errors(raw, today=today)
    for refusal in problems:
        errors.setdefault(f"{instrument.code}-{refusal.field}", []).append(
            refusal_in_words(instrument, refusal)
        )
    if problems:
        return None
    if "height_cm" in instrument.needs_subject and patient.height_cm is None:
        errors.setdefault(instrument.code, []).append(HEIGHT_NEEDED.format(title=instrument.title))
        return None
    if "weight_kg" in instrument.needs_subject and weight_kg is None:
        errors.setdefault("weight_kg", []).append(WEIGHT_NEEDED)
        return None
    clean = instrument.validate(raw, today=today)
    died = clean.get("date_of_death")
    if isinstance(died, dt.date) and alive_on is not None and died < alive_on:
        errors.setdefault(f"{instrument.code}-date_of_death", []).append(
            DEATH_BEFORE_DISCHARGE.format(value=died.isoformat(), alive=alive_on.isoformat())
        )
        return None
    subject = subject_for(patient, on, weight_kg)
    try:
        scores = instrument.score(raw, subject, today=today)
        problem = ""
    except ClinicalInputError as exc:
        scores, problem = {}, f"not scored: {exc.field} {exc.value!r} {exc.rule}"[:300]
    name, version = scoring_of(instrument, scores)
    return _Scored(
        answers=_json_answers(clean),
        scores=scores,
        scoring_name=name,
        scoring_version=version,
        scoring_problem=problem,
        subject={
            "measured_on": on.isoformat(),
            "sex": subject.sex,
            "age_years": subject.age_years,
            "height_cm": subject.height_cm,
            "weight_kg": subject.weight_kg,
        },
    )


def _discharged_on(visit: FollowUpVisit) -> dt.date | None:
    """The local date of the course's discharge (the patient was alive then), if recorded."""
    course = [p.pk for p in plan_lineage(visit.plan)]
    at = Discharge.objects.filter(plan_id__in=course).values_list("discharged_at", flat=True).first()
    return timezone.localdate(at) if at is not None else None


def _check_weight(weight_kg: float | None, errors: dict[str, list[str]]) -> None:
    if weight_kg is not None and not WEIGHT_KG_RANGE[0] <= weight_kg <= WEIGHT_KG_RANGE[1]:
        errors.setdefault("weight_kg", []).append(WEIGHT_RANGE.format(value=weight_kg))


def _dies_here(entries: Mapping[str, InstrumentEntry]) -> bool:
    vital = entries.get("vital_status")
    return vital is not None and vital.given().get("vital_status") == "dead"


@transaction.atomic
def visit_record(
    *,
    visit: FollowUpVisit,
    user: User,
    version: int,
    entries: Mapping[str, InstrumentEntry],
    completed_on: dt.date | None = None,
    weight_kg: float | None = None,
    notes: str = "",
    complete: bool = False,
) -> FollowUpVisit:
    """Save a visit page: the instruments answered, the reasons for those not done and, with
    ``complete``, the visit as done on ``completed_on``. All of it or nothing.

    ``entries`` maps instrument codes to what was entered; instruments with nothing entered
    are left for later (a visit is completed only when none of those due is left). The
    measurement date for the reference equations is ``completed_on``, else today.

    Raises:
        ValidationError: a dict of refusals keyed ``"<code>-<item>"`` (an answer), ``"<code>"``
            (an instrument), ``weight_kg``, ``completed_on`` or ``notes``; nothing is saved.
        PermissionDenied / Http404: wrong role, another site's visit.
    """
    require_role(user, "record follow-up visits", *VISIT_RECORDERS)
    require_patient_access(user, visit.patient)
    check_version(visit, expected_version=version)
    # The stored visit, locked until the end: a page opened before someone else saved is told
    # to reload before anything else (rather than that an instrument is already recorded).
    check_version(FollowUpVisit.objects.select_for_update().get(pk=visit.pk), expected_version=version)
    if visit.status != VisitStatus.SCHEDULED:
        raise ValidationError(VISIT_CLOSED.format(status=visit.get_status_display().lower()))
    errors: dict[str, list[str]] = {}
    if completed_on is not None:
        try:
            require_visit_date(visit, completed_on)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    elif complete:
        errors["completed_on"] = [VISIT_DATE_NEEDED]
    _check_weight(weight_kg, errors)
    on = completed_on if completed_on is not None and "completed_on" not in errors else timezone.localdate()
    # A death recorded on this page leaves only vital status due, as one recorded earlier does.
    state = visit_instruments(visit=visit)
    if _dies_here(entries) and state.death is None:
        due = {s.instrument.code for s in state.slots if s.due and s.instrument.code == "vital_status"}
        why = " (the patient has died)"
    else:
        due = {s.instrument.code for s in state.slots if s.due}
        why = " (the patient has died)" if state.death else ""
    slots = {s.instrument.code: s for s in state.slots}
    planned_responses: dict[str, _Scored] = {}
    planned_reasons: dict[str, str] = {}
    for code, entry in entries.items():
        slot = slots.get(code)
        given, reason = entry.given(), entry.not_done_reason.strip()
        if not given and not reason:
            continue
        if slot is None or not slot.due:
            title = slot.instrument.title if slot else code
            errors.setdefault(code, []).append(NOT_DUE_HERE.format(title=title, why=""))
            continue
        if code not in due:
            errors.setdefault(code, []).append(NOT_DUE_HERE.format(title=slot.instrument.title, why=why))
            continue
        if slot.recorded:
            errors.setdefault(code, []).append(ALREADY_RECORDED.format(title=slot.instrument.title))
            continue
        if given and reason:
            errors.setdefault(f"{code}-not_done_reason", []).append(VALUES_AND_REASON)
            continue
        if reason:
            planned_reasons[code] = reason
            continue
        scored = _score(
            slot.instrument,
            given,
            patient=visit.patient,
            on=on,
            weight_kg=weight_kg,
            errors=errors,
            alive_on=_discharged_on(visit),
        )
        if scored is not None:
            planned_responses[code] = scored
    if complete:
        settled = {*planned_responses, *planned_reasons}
        for slot in state.slots:
            code = slot.instrument.code
            refused = any(k == code or k.startswith(f"{code}-") for k in errors)
            if code in due and not slot.recorded and code not in settled and not refused:
                errors[code] = [INSTRUMENT_MISSING.format(title=slot.instrument.title)]
    if errors:
        raise ValidationError(errors)

    before = snapshot(visit)
    fields: dict[str, object] = {}
    if weight_kg is not None and weight_kg != visit.weight_kg:
        fields["weight_kg"] = weight_kg
    if notes.strip() and notes.strip() != visit.notes:
        fields["notes"] = notes.strip()
    if complete:
        assert completed_on is not None
        fields.update(
            status=VisitStatus.COMPLETED,
            completed_on=completed_on,
            completed_by=user,
            out_of_window=not visit.window_start <= completed_on <= visit.window_end,
        )
    # The visit's version moves on every save, so two people recording one visit at once
    # cannot both save (the second is told to reload), and no instrument is saved twice.
    update_versioned(visit, expected_version=version, **fields)
    if fields:
        action = "followup_complete" if complete else "followup_record"
        audit_change(actor=user, action=action, instance=visit, before=before, patient=visit.patient)
    now = timezone.now()
    for code, reason in planned_reasons.items():
        not_done = InstrumentNotDone.objects.create(
            visit=visit, instrument_code=code, reason=reason, recorded_by=user, recorded_at=now
        )
        audit_change(
            actor=user, action="instrument_not_done", instance=not_done, before=None, patient=visit.patient
        )
    for code, scored in planned_responses.items():
        response = InstrumentResponse.objects.create(
            visit=visit,
            instrument_code=code,
            instrument_version=slots[code].instrument.version,
            recorded_by=user,
            recorded_at=now,
            **scored.__dict__,
        )
        audit_change(
            actor=user, action="instrument_record", instance=response, before=None, patient=visit.patient
        )
    if "vital_status" in planned_responses:
        _close_visits_after_death(visit.patient, user)
    return visit


@transaction.atomic
def instrument_correct(
    *,
    visit: FollowUpVisit,
    user: User,
    code: str,
    version: int,
    reason: str,
    answers: Mapping[str, object] | None = None,
    not_done_reason: str = "",
    weight_kg: float | None = None,
) -> None:
    """Correct what was recorded for instrument ``code`` at ``visit``, with a reason.

    A response gets new ``answers`` (validated and scored again); an instrument recorded as
    not done gets its values (the response replaces the reason) or a new reason. ``version``
    is that of the response or the not-done record. For the six-minute walk, ``weight_kg``
    corrects the weight measured at the visit, which its reference uses. Old -> new and the
    reason go to the audit trail; a change of vital status closes or reopens the visits after
    a death.

    Raises:
        ValidationError: no reason, nothing changed, an invalid answer (keyed as in
            ``visit_record``), or nothing recorded to correct.
    """
    require_role(user, "correct follow-up instruments", *VISIT_RECORDERS)
    require_patient_access(user, visit.patient)
    state = visit_instruments(visit=visit)
    slot = next((s for s in state.slots if s.instrument.code == code), None)
    if slot is None or not slot.recorded:
        title = slot.instrument.title if slot else code
        raise ValidationError({code: NOTHING_TO_CORRECT.format(title=title)})
    instrument = slot.instrument
    # Locked for the rest of the transaction: two corrections at once cannot both pass.
    record: InstrumentResponse | InstrumentNotDone
    if slot.response is not None:
        record = InstrumentResponse.objects.select_for_update().get(pk=slot.response.pk)
    else:
        assert slot.not_done is not None
        record = InstrumentNotDone.objects.select_for_update().get(pk=slot.not_done.pk)
    check_version(record, expected_version=version)
    why = require_reason(reason, CORRECTION_NEEDS_REASON)
    given = {k: v for k, v in (answers or {}).items() if not _blank(v)}
    errors: dict[str, list[str]] = {}
    weight_changed = code == "six_minute_walk" and weight_kg is not None and weight_kg != visit.weight_kg
    if weight_changed:
        _check_weight(weight_kg, errors)
        if errors:
            raise ValidationError(errors)
        before_visit = snapshot(visit)
        update_versioned(visit, expected_version=visit.version, weight_kg=weight_kg)
        _audit(user, "followup_amend", visit, before_visit, visit, why)
    if isinstance(record, InstrumentResponse):
        if not given:
            raise ValidationError({f"{code}-not_done_reason": NO_WITHDRAWAL.format(title=instrument.title)})
        on = _measured_on(record, visit)
        scored = _score(
            instrument,
            given,
            patient=visit.patient,
            on=on,
            weight_kg=visit.weight_kg,
            errors=errors,
            alive_on=_discharged_on(visit),
        )
        if errors or scored is None:
            raise ValidationError(errors)
        if scored.answers == record.answers and not weight_changed:
            raise ValidationError(CORRECTION_NO_CHANGE)
        response = record
        before = snapshot(response)
        update_versioned(response, expected_version=version, **scored.__dict__)
        _audit(user, "instrument_correct", response, before, visit, why)
    else:
        not_done = record
        if given and not_done_reason.strip():
            raise ValidationError({f"{code}-not_done_reason": VALUES_AND_REASON})
        if given:
            on = visit.completed_on or timezone.localdate()
            scored = _score(
                instrument,
                given,
                patient=visit.patient,
                on=on,
                weight_kg=visit.weight_kg,
                errors=errors,
                alive_on=_discharged_on(visit),
            )
            if errors or scored is None:
                raise ValidationError(errors)
            response = InstrumentResponse.objects.create(
                visit=visit,
                instrument_code=code,
                instrument_version=instrument.version,
                recorded_by=user,
                recorded_at=timezone.now(),
                **scored.__dict__,
            )
            audit_change(
                actor=user,
                action="instrument_record",
                instance=response,
                before=None,
                patient=visit.patient,
                reason=why,
            )
            _audit(user, "instrument_not_done_replaced", not_done, snapshot(not_done), visit, why)
            not_done.delete()
        else:
            text = not_done_reason.strip()
            if not text:
                raise ValidationError(
                    {f"{code}-not_done_reason": NOT_DONE_NEEDS_REASON.format(title=instrument.title)}
                )
            if text == not_done.reason:
                raise ValidationError(CORRECTION_NO_CHANGE)
            before = snapshot(not_done)
            update_versioned(not_done, expected_version=version, reason=text)
            _audit(user, "instrument_correct", not_done, before, visit, why)
    if code == "vital_status":
        _close_visits_after_death(visit.patient, user, reason=why)


def _audit(
    user: User, action: str, instance: Any, before: dict[str, Any] | None, visit: FollowUpVisit, reason: str
) -> None:
    """One correction's audit event: old -> new of ``instance`` with the reason given."""
    audit_change(
        actor=user, action=action, instance=instance, before=before, patient=visit.patient, reason=reason
    )


def _measured_on(response: InstrumentResponse, visit: FollowUpVisit) -> dt.date:
    """The day a response was measured (kept with it), for its age at scoring."""
    kept = response.subject.get("measured_on")
    if isinstance(kept, str):
        return dt.date.fromisoformat(kept)
    return visit.completed_on or timezone.localdate()


def _close_visits_after_death(patient: Patient, user: User, *, reason: str = "") -> None:
    """Visits planned after a recorded death are not due; with no death recorded (or a later
    date) they are scheduled again. Each change is audited."""
    death = death_of(patient_id=patient.pk)
    visits = FollowUpVisit.objects.select_for_update().filter(
        patient=patient, status__in=[VisitStatus.SCHEDULED, VisitStatus.NOT_DUE]
    )
    for visit in visits:
        if death is not None and visit.pk == death.visit_id:
            continue  # the visit that recorded the death is completed or missed as any other
        after_death = death is not None and visit.target_date > death.date_of_death
        if after_death and visit.status == VisitStatus.SCHEDULED:
            assert death is not None
            note = NOT_DUE_NOTE.format(date=death.date_of_death.isoformat(), visit=death.visit_name)
            fields: dict[str, object] = {"status": VisitStatus.NOT_DUE, "notes": note}
            action = "followup_not_due"
        elif not after_death and visit.status == VisitStatus.NOT_DUE:
            fields, action = {"status": VisitStatus.SCHEDULED, "notes": ""}, "followup_due_again"
        else:
            continue
        before = snapshot(visit)
        update_versioned(visit, expected_version=visit.version, **fields)
        audit_change(actor=user, action=action, instance=visit, before=before, patient=patient, reason=reason)


@transaction.atomic
def visit_adverse_event_report(
    *, visit: FollowUpVisit, user: User, term: str, onset_at: dt.datetime, description: str = ""
) -> AdverseEvent:
    """Report an adverse event found at a follow-up visit, linked to it (graded later by a
    physician, as every adverse event). Its onset lies after the first administration of the
    course and not in the future.
    """
    require_role(user, "report adverse events", *AE_REPORTERS)
    require_patient_access(user, visit.patient)
    if visit.status in (VisitStatus.MISSED, VisitStatus.NOT_DUE):
        raise ValidationError(AE_VISIT_CLOSED.format(status=visit.get_status_display().lower()))
    if not term.strip():
        raise ValidationError({"term": AE_NEEDS_TERM})
    course = [p.pk for p in plan_lineage(visit.plan)]
    first = (
        AdministrationSession.objects.filter(
            plan_id__in=course, status__in=STARTED_STATES, started_at__isnull=False
        )
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if first is None:
        raise ValidationError(AE_BEFORE_TREATMENT)
    require_not_future("onset_at", onset_at, label="Onset")
    require_not_before("onset_at", onset_at, first, label="Onset", earlier_label="the first administration")
    event = AdverseEvent.objects.create(
        patient=visit.patient,
        followup_visit=visit,
        term=term.strip()[:200],
        onset_at=onset_at,
        description=description.strip(),
        reported_by=user,
    )
    audit_change(actor=user, action="ae_report", instance=event, before=None, patient=visit.patient)
    return event
