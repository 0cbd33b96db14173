"""A patient's whole course, read for FHIR in a fixed number of queries for any number of patients.

``courses_load(patient_ids)`` reads every record the FHIR mappers need for a
batch of patients (one query per kind of record, not one per patient), so
``$everything`` for one patient and the bulk export of thousands cost the
same number of round trips per batch. Callers check the site first: the ids
given are already the caller's own site's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from stromal.accounts.models import User
from stromal.administrations.models import AdministrationSession, AdverseEvent, VitalSigns
from stromal.examinations.models import Assessment, Encounter, Observation
from stromal.followup.models import Discharge, FollowUpVisit, InstrumentResponse
from stromal.patients.models import Patient
from stromal.plans.models import Consent, PatientDecision, PlanSignature, TreatmentPlan
from stromal.products.models import ProductLot

#: The fields the mappers read of the two most numerous records (the others are not loaded:
#: a mapper reading another would cost a query per row, which the query-count test catches).
OBSERVATION_FIELDS = (
    "id",
    "encounter_id",
    "key",
    "value_number",
    "value_boolean",
    "value_text",
    "recorded_by_id",
    "recorded_at",
    "amendment_id",
)
VITALS_FIELDS = ("id", "session_id", "minutes_since_start", "taken_at", "recorded_at", "values")


@dataclass
class Course:
    """Everything recorded about one patient that FHIR shows."""

    patient: Patient
    encounters: list[Encounter] = field(default_factory=list)
    #: encounter id -> its current observations
    observations: dict[int, list[Observation]] = field(default_factory=lambda: defaultdict(list))
    #: encounter id -> its latest assessment snapshot
    assessments: dict[int, Assessment] = field(default_factory=dict)
    plans: list[TreatmentPlan] = field(default_factory=list)
    signatures: dict[int, list[PlanSignature]] = field(default_factory=lambda: defaultdict(list))
    consents: dict[int, list[Consent]] = field(default_factory=lambda: defaultdict(list))
    decisions: dict[int, list[PatientDecision]] = field(default_factory=lambda: defaultdict(list))
    sessions: list[AdministrationSession] = field(default_factory=list)
    lots: dict[int, ProductLot] = field(default_factory=dict)
    vitals: dict[int, list[VitalSigns]] = field(default_factory=lambda: defaultdict(list))
    adverse_events: list[AdverseEvent] = field(default_factory=list)
    discharges: list[Discharge] = field(default_factory=list)
    visits: list[FollowUpVisit] = field(default_factory=list)
    #: visit id -> the follow-up instruments recorded at it
    responses: dict[int, list[InstrumentResponse]] = field(default_factory=lambda: defaultdict(list))


def _by_patient(rows: Iterable[object], courses: dict[int, Course], attr: str) -> None:
    for row in rows:
        getattr(courses[row.patient_id], attr).append(row)  # type: ignore[attr-defined]


def courses_load(patient_ids: Sequence[int]) -> dict[int, Course]:
    """The courses of ``patient_ids`` (ids of one site, checked by the caller), keyed by patient id."""
    patients = Patient.objects.filter(pk__in=patient_ids).select_related("site")
    courses = {p.pk: Course(patient=p) for p in patients}
    ids = list(courses)
    encounters = list(Encounter.objects.filter(patient_id__in=ids).order_by("scheduled_for", "id"))
    _by_patient(encounters, courses, "encounters")
    patient_of_encounter = {e.pk: e.patient_id for e in encounters}
    current = Observation.objects.filter(encounter__patient_id__in=ids, current=True).only(
        *OBSERVATION_FIELDS
    )
    for obs in current.order_by("key", "id"):
        courses[patient_of_encounter[obs.encounter_id]].observations[obs.encounter_id].append(obs)
    # Only the latest snapshot of each encounter is shown (earlier ones were superseded).
    for snapshot in Assessment.objects.filter(encounter__patient_id__in=ids).order_by(
        "encounter_id", "sequence"
    ):
        courses[patient_of_encounter[snapshot.encounter_id]].assessments[snapshot.encounter_id] = snapshot
    plans = list(
        TreatmentPlan.objects.filter(patient_id__in=ids)
        .select_related("protocol_version")
        .order_by("created_at", "id")
    )
    _by_patient(plans, courses, "plans")
    patient_of_plan = {p.pk: p.patient_id for p in plans}
    for signature in PlanSignature.objects.filter(plan__patient_id__in=ids).order_by("signed_at", "id"):
        courses[patient_of_plan[signature.plan_id]].signatures[signature.plan_id].append(signature)
    for consent in Consent.objects.filter(plan__patient_id__in=ids).order_by("given_at", "id"):
        courses[patient_of_plan[consent.plan_id]].consents[consent.plan_id].append(consent)
    for decision in PatientDecision.objects.filter(plan__patient_id__in=ids).order_by("decided_at", "id"):
        courses[patient_of_plan[decision.plan_id]].decisions[decision.plan_id].append(decision)
    sessions = list(
        AdministrationSession.objects.filter(patient_id__in=ids)
        .select_related("product")
        .order_by("scheduled_date", "sequence", "id")
    )
    _by_patient(sessions, courses, "sessions")
    patient_of_session = {s.pk: s.patient_id for s in sessions}
    for s in sessions:
        if s.product is not None:
            courses[s.patient_id].lots[s.product.pk] = s.product
    for vitals in VitalSigns.objects.filter(session__patient_id__in=ids).order_by(
        "minutes_since_start", "id"
    ):
        courses[patient_of_session[vitals.session_id]].vitals[vitals.session_id].append(vitals)
    _by_patient(
        AdverseEvent.objects.filter(patient_id__in=ids).order_by("onset_at", "id"), courses, "adverse_events"
    )
    _by_patient(
        Discharge.objects.filter(patient_id__in=ids).order_by("discharged_at", "id"), courses, "discharges"
    )
    visits = list(FollowUpVisit.objects.filter(patient_id__in=ids).order_by("target_date", "id"))
    _by_patient(visits, courses, "visits")
    patient_of_visit = {v.pk: v.patient_id for v in visits}
    for response in InstrumentResponse.objects.filter(visit__patient_id__in=ids).order_by(
        "visit_id", "instrument_code", "id"
    ):
        courses[patient_of_visit[response.visit_id]].responses[response.visit_id].append(response)
    return courses


def user_names() -> dict[int, str]:
    """Display names of every user (a small table; records name their authors by id): id -> name."""
    users = User.objects.only("id", "printed_name", "first_name", "last_name", "username")
    return {u.pk: u.display_name() for u in users}
