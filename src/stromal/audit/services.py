"""Writing the audit trail. Every service that changes a clinical record calls
``audit_record`` inside the same transaction as the change, so a change and
its audit entry are saved together or not at all."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from stromal.audit.chain import GENESIS_HASH, HASHED_FIELDS, ChainReport, event_digest, verify_events
from stromal.audit.context import current_source
from stromal.audit.models import AuditChainHead, AuditEvent, CasebookLock

#: The one row of ``AuditChainHead``.
CHAIN_HEAD_PK = 1

CASEBOOK_LOCKED = (
    "This patient's casebook is signed off and locked; nothing in it can change. "
    "An administrator can unlock it, with a reason."
)
#: The lock's own records, which change while the casebook is locked.
LOCK_RECORD_TYPES = frozenset({"audit.casebooklock", "monitoring.casebooksignature"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance`` (foreign keys as ids), JSON-ready.

    Fields a model lists in ``AUDIT_DERIVED_FIELDS`` (values computed from its
    other fields) are left out: they would repeat each change as noise.
    """
    derived = getattr(instance, "AUDIT_DERIVED_FIELDS", ())
    names = fields or [f.attname for f in instance._meta.concrete_fields if f.attname not in derived]
    return {name: _jsonable(getattr(instance, name)) for name in names}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as ``{field: [old, new]}``."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def require_reason(reason: str, message: str, *, field: str = "reason") -> str:
    """The reason for a correction, stripped; refused (naming ``field``) when empty.

    Every change of saved clinical data states why, and the reason is stored as
    its audit event's reason.

    Raises:
        ValidationError: ``{field: message}`` for an empty or blank reason.
    """
    stripped = reason.strip()
    if not stripped:
        raise ValidationError({field: message})
    return stripped


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (created on first use)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=CHAIN_HEAD_PK).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=CHAIN_HEAD_PK, sequence=0, event_hash=GENESIS_HASH)
    except IntegrityError:
        pass  # another writer created it first; take its lock below
    return AuditChainHead.objects.select_for_update().get(pk=CHAIN_HEAD_PK)


@transaction.atomic
def audit_record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    site_id: int | None = None,
    patient_id: int | None = None,
) -> AuditEvent:
    """Append one event to the audit trail for ``instance``, linked into the hash chain.

    Raises:
        PermissionDenied: ``CASEBOOK_LOCKED`` when ``patient_id``'s casebook is
            locked (every clinical write is audited, so this refuses them all).

    Runs inside the caller's transaction: the change and its audit event are
    saved together or not at all, and the chain head stays locked until then.
    """
    object_type = instance._meta.label_lower
    if (
        patient_id is not None
        and object_type not in LOCK_RECORD_TYPES
        and CasebookLock.objects.filter(patient_id=patient_id).exists()
    ):
        raise PermissionDenied(CASEBOOK_LOCKED)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    head = _locked_head()
    now = timezone.now()
    content: dict[str, Any] = {
        "sequence": head.sequence + 1,
        # Never earlier than the event before it, even if the clock steps back.
        "at": max(now, head.at) if head.at else now,
        "actor_id": actor.pk if is_user else None,
        "actor_username": getattr(actor, "username", "") if is_user else "system",
        "action": action,
        "object_type": object_type,
        "object_id": str(instance.pk),
        "site_id_at_event": site_id,
        "patient_id_at_event": patient_id,
        "changes": _jsonable(dict(changes or {})),
        "reason": reason,
        "source": current_source(),
    }
    digest = event_digest(content, head.event_hash)
    event = AuditEvent.objects.create(**content, previous_hash=head.event_hash, event_hash=digest)
    AuditChainHead.objects.filter(pk=head.pk).update(
        sequence=content["sequence"], event_hash=digest, at=content["at"]
    )
    return event


def audit_chain_verify(*, using: str = "default") -> ChainReport:
    """Check the whole trail of database ``using`` against its hash chain (streamed in sequence order)."""
    rows = (
        AuditEvent.objects.using(using)
        .order_by("sequence")
        .values("id", "previous_hash", "event_hash", *HASHED_FIELDS)
        .iterator(chunk_size=2000)
    )
    head = AuditChainHead.objects.using(using).filter(pk=CHAIN_HEAD_PK).first()
    return verify_events(rows, head_sequence=head.sequence if head else None)
