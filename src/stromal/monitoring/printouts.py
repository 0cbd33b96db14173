"""The printed casebook of a patient: every record as its audit trail left it, and the sign-off.

One part per audited clinical record (the records the monitor verifies), with
its current values, its last change and its verification state; then the
queries and the investigator's signatures (printed name, date-time with zone,
meaning; 21 CFR 11.50).
"""

from __future__ import annotations

import json
from collections import defaultdict

from stromal.accounts.models import User
from stromal.accounts.templatetags.when import audit_value
from stromal.accounts.zones import format_when
from stromal.audit.models import AuditEvent
from stromal.audit.selectors import field_label, record_values
from stromal.examinations.fields import SPECS as OBSERVATION_SPECS
from stromal.forms_clinical import field_label as spec_label
from stromal.monitoring import selectors
from stromal.monitoring.models import CasebookSignature, DataQuery
from stromal.patients.models import Patient
from stromal.printouts.document import Document, Item, Part, Signature, Table, text
from stromal.printouts.responses import footer_line, printed_line


def _value(value: object) -> str:
    if isinstance(value, dict | list):
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            return ", ".join(str(v) for v in value) or "—"
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text(audit_value(value))


def _who(event: AuditEvent) -> str:
    return event.actor.display_name() if event.actor is not None else event.actor_username


def _label(object_type: str, name: str) -> str:
    """A field's label; an examination's observations as their form labels them (``PaO2 (mmHg)``)."""
    spec = OBSERVATION_SPECS.get(name) if object_type == "examinations.encounter" else None
    return spec_label(spec) if spec is not None else field_label(object_type, name)


def _record_part(status: selectors.RecordStatus, events: list[AuditEvent]) -> Part:
    values = record_values(status.object_type, events)
    items = tuple(Item(_label(status.object_type, k), _value(v)) for k, v in values.items())
    verification = status.state
    if status.verification is not None:
        verification += (
            f" (by {status.verification.verified_by.display_name()}, "
            f"{format_when(status.verification.verified_at)})"
        )
    if status.cleared_by is not None:
        verification += f"; cleared by a change on {format_when(status.cleared_by.at)}"
    note = (
        f"Last change {format_when(status.last_change.at)} by {_who(status.last_change)} · "
        f"source-data verification: {verification} · open queries: {status.open_queries}"
    )
    return Part(status.label, items, note=note)


def _signature(signature: CasebookSignature) -> Signature:
    status = ""
    if signature.unlocked_at is not None:
        who = signature.unlocked_by.display_name() if signature.unlocked_by else ""
        status = f"unlocked {format_when(signature.unlocked_at)} by {who}: {signature.unlock_reason}"
    return Signature(
        printed_name=signature.printed_name,
        signed_at=format_when(signature.signed_at),
        meaning=signature.meaning,
        username=signature.signer.username,
        status=status,
    )


def casebook_document(*, patient: Patient, user: User) -> Document:
    """The whole casebook of ``patient`` (the caller has checked role and site)."""
    records = selectors.patient_records(patient=patient)
    by_record: dict[tuple[str, str], list[AuditEvent]] = defaultdict(list)
    for event in AuditEvent.objects.filter(patient_id_at_event=patient.pk).order_by("sequence"):
        by_record[(event.object_type, event.object_id)].append(event)
    lock = selectors.casebook_lock(patient=patient)
    verified = sum(r.state == selectors.VERIFIED for r in records)
    queries = (
        DataQuery.objects.filter(patient=patient).select_related("opened_by").order_by("opened_at", "pk")
    )
    summary = (
        Item("Patient", f"{patient.full_name} (MRN {patient.mrn}), born {patient.date_of_birth:%Y-%m-%d}"),
        Item("Site", patient.site.name),
        Item(
            "Casebook",
            f"signed off and locked since {format_when(lock.locked_at)}" if lock else "open (not signed off)",
        ),
        Item("Source-data verification", f"{verified} of {len(records)} records verified"),
        Item("Queries", f"{sum(q.status != 'closed' for q in queries)} open of {len(queries)}"),
    )
    query_rows = tuple(
        (
            f"#{q.pk}",
            f"{q.object_type} #{q.object_id}",
            text(q.field),
            q.get_status_display(),
            f"{q.opened_by.display_name()}, {format_when(q.opened_at)}",
        )
        for q in queries
    )
    return Document(
        title=f"Casebook of {patient.full_name}",
        subtitle=f"MRN {patient.mrn} · {patient.site.name}",
        filename=f"casebook-{patient.pk}",
        parts=(
            Part("Summary", summary),
            *(_record_part(r, by_record[(r.object_type, r.object_id)]) for r in records),
            Part("Data queries", table=Table(("Query", "Record", "Field", "Status", "Opened"), query_rows)),
        ),
        signatures=tuple(_signature(s) for s in selectors.casebook_signatures(patient=patient)),
        signatures_heading="Investigator's casebook sign-off (electronic signatures)",
        printed=printed_line(user),
        footer=footer_line(),
    )
