"""Reads of monitoring: each record's verification state, progress, queries awaiting action."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.models import AuditEvent, CasebookLock
from stromal.audit.selectors import record_label
from stromal.monitoring.models import CasebookSignature, DataQuery, QueryStatus, SourceVerification
from stromal.patients.guards import site_id_of
from stromal.patients.models import Patient

#: Audited records that are monitoring's own, not clinical data to verify.
NOT_VERIFIABLE_PREFIXES = ("monitoring.", "audit.", "accounts.", "protocols.")

VERIFIED = "verified"
CLEARED = "cleared"
UNVERIFIED = "not verified"

RecordKey = tuple[str, str]


@dataclass(frozen=True)
class RecordStatus:
    """One record of a patient: its latest change and whether that state is verified."""

    object_type: str
    object_id: str
    label: str
    last_change: AuditEvent
    verification: SourceVerification | None
    cleared_by: AuditEvent | None
    open_queries: int

    @property
    def state(self) -> str:
        if self.verification is None:
            return UNVERIFIED
        return CLEARED if self.cleared_by is not None else VERIFIED


def _verifiable(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    for prefix in NOT_VERIFIABLE_PREFIXES:
        events = events.exclude(object_type__startswith=prefix)
    return events


def patient_records(*, patient: Patient) -> list[RecordStatus]:
    """Every audited clinical record of the patient with its verification state, in record order."""
    events = _verifiable(AuditEvent.objects.filter(patient_id_at_event=patient.pk))
    last_sequence = {
        (row["object_type"], row["object_id"]): row["last"]
        for row in events.values("object_type", "object_id").annotate(last=Max("sequence"))
    }
    last_events = {
        (e.object_type, e.object_id): e
        for e in AuditEvent.objects.filter(sequence__in=last_sequence.values()).select_related("actor")
    }
    verifications: dict[RecordKey, SourceVerification] = {}
    for v in (
        SourceVerification.objects.filter(patient=patient)
        .select_related("verified_by")
        .order_by("audit_sequence", "id")
    ):
        verifications[(v.object_type, v.object_id)] = v
    cleared_sequences = {
        key: v.audit_sequence
        for key, v in verifications.items()
        if key in last_sequence and last_sequence[key] > v.audit_sequence
    }
    cleared_by: dict[RecordKey, AuditEvent] = {}
    for key, after in cleared_sequences.items():
        first = (
            events.filter(object_type=key[0], object_id=key[1], sequence__gt=after)
            .select_related("actor")
            .order_by("sequence")
            .first()
        )
        if first is not None:
            cleared_by[key] = first
    queries: dict[RecordKey, int] = defaultdict(int)
    for q in DataQuery.objects.filter(patient=patient).exclude(status=QueryStatus.CLOSED):
        queries[(q.object_type, q.object_id)] += 1
    statuses = [
        RecordStatus(
            object_type=key[0],
            object_id=key[1],
            label=f"{record_label(key[0])} #{key[1]}",
            last_change=last_events[key],
            verification=verifications.get(key),
            cleared_by=cleared_by.get(key),
            open_queries=queries.get(key, 0),
        )
        for key in last_sequence
        if key in last_events
    ]
    return sorted(statuses, key=lambda s: (s.label, int(s.object_id) if s.object_id.isdigit() else 0))


@dataclass(frozen=True)
class Progress:
    """Verified records out of all records (a current verification only)."""

    verified: int
    total: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.verified / self.total, 1) if self.total else 0.0


def progress_by_patient(*, patient_ids: list[int]) -> dict[int, Progress]:
    """Verification progress of each patient in ``patient_ids`` (two grouped queries)."""
    events = _verifiable(AuditEvent.objects.filter(patient_id_at_event__in=patient_ids))
    last: dict[tuple[int, str, str], int] = {
        (int(r["patient_id_at_event"] or 0), r["object_type"], r["object_id"]): r["last"]
        for r in events.values("patient_id_at_event", "object_type", "object_id").annotate(
            last=Max("sequence")
        )
    }
    verified_at = {
        (r["patient_id"], r["object_type"], r["object_id"]): r["seq"]
        for r in SourceVerification.objects.filter(patient_id__in=patient_ids)
        .values("patient_id", "object_type", "object_id")
        .annotate(seq=Max("audit_sequence"))
    }
    totals: dict[int, list[int]] = {pid: [0, 0] for pid in patient_ids}
    for key, sequence in last.items():
        counts = totals[key[0]]
        counts[1] += 1
        if verified_at.get(key, -1) >= sequence:
            counts[0] += 1
    return {pid: Progress(v, t) for pid, (v, t) in totals.items()}


def site_patients(*, user: User) -> QuerySet[Patient]:
    return Patient.objects.filter(site_id=site_id_of(user)).order_by("family_name", "given_name", "pk")


def locked_patient_ids(*, patient_ids: list[int]) -> set[int]:
    return set(CasebookLock.objects.filter(patient_id__in=patient_ids).values_list("patient_id", flat=True))


def casebook_lock(*, patient: Patient) -> CasebookLock | None:
    return CasebookLock.objects.filter(patient_id=patient.pk).select_related("locked_by").first()


def casebook_signatures(*, patient: Patient) -> QuerySet[CasebookSignature]:
    return patient.casebook_signatures.select_related("signer", "unlocked_by")


def queries_for(*, user: User) -> QuerySet[DataQuery]:
    """The queries waiting for ``user``'s role at their site: site staff answer open
    ones; a monitor reviews answered ones (and sees the open ones they raised)."""
    site_queries = DataQuery.objects.filter(patient__site_id=site_id_of(user)).select_related(
        "patient", "opened_by"
    )
    if user.role == Role.MONITOR:
        return site_queries.exclude(status=QueryStatus.CLOSED).order_by("-status", "opened_at")
    if user.role in (Role.INVESTIGATOR, Role.ADMIN):
        return site_queries.exclude(status=QueryStatus.CLOSED).order_by("opened_at")
    return site_queries.filter(status=QueryStatus.OPEN).order_by("opened_at")


def query_get(*, user: User, pk: int) -> DataQuery:
    """The query if its patient belongs to the user's site; otherwise 404."""
    return get_object_or_404(
        DataQuery.objects.select_related("patient", "opened_by"), pk=pk, patient__site_id=site_id_of(user)
    )
