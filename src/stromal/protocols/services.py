"""Writes for protocol records: loading the shipped protocols and adding versions.

A version already used by a plan is never changed; a change is a new
version (``protocol_add_version``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.services import audit_record
from stromal.clinical.protocol import Protocol, ProtocolError, builtin_protocols, protocol_from_dict
from stromal.patients.guards import require_role
from stromal.protocols.models import ProtocolVersion, definition_from_protocol

VERSION_EXISTS = "Protocol {code} version {version} already exists; a change needs a new version number."
VERSION_IN_USE = "Protocol {code} version {version} is used by a patient's plan and cannot change."


def _create(protocol: Protocol, *, builtin: bool, actor: User | None) -> ProtocolVersion:
    record = ProtocolVersion.objects.create(
        code=protocol.code,
        version=protocol.version,
        title=protocol.title,
        source=protocol.source,
        definition=definition_from_protocol(protocol),
        builtin=builtin,
    )
    audit_record(
        actor=actor,
        action="create",
        instance=record,
        changes={"code": [None, record.code], "version": [None, record.version]},
    )
    return record


@transaction.atomic
def protocols_load_builtin() -> list[ProtocolVersion]:
    """Store each shipped protocol once per (code, version). Idempotent; never rewrites a stored version."""
    out = []
    for protocol in builtin_protocols():
        existing = ProtocolVersion.objects.filter(code=protocol.code, version=protocol.version).first()
        out.append(existing or _create(protocol, builtin=True, actor=None))
    return out


@transaction.atomic
def protocol_add_version(*, user: User, definition: Mapping[str, Any]) -> ProtocolVersion:
    """Add a protocol (or a new version of one) from plain data; errors name the key and the rule."""
    require_role(user, "add protocols", Role.ADMIN)
    try:
        protocol = protocol_from_dict(definition)
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from None
    if ProtocolVersion.objects.filter(code=protocol.code, version=protocol.version).exists():
        raise ValidationError(VERSION_EXISTS.format(code=protocol.code, version=protocol.version))
    return _create(protocol, builtin=False, actor=user)


def protocol_mark_used(*, record: ProtocolVersion) -> None:
    """Freeze a version the first time a plan uses it (inside the caller's transaction)."""
    if record.first_used_at is None:
        ProtocolVersion.objects.filter(pk=record.pk, first_used_at__isnull=True).update(
            first_used_at=timezone.now()
        )
        record.refresh_from_db(fields=["first_used_at"])


def protocol_check_mutable(*, record: ProtocolVersion) -> None:
    if record.in_use:
        raise ValidationError(VERSION_IN_USE.format(code=record.code, version=record.version))


@transaction.atomic
def protocol_update_definition(
    *, user: User, record: ProtocolVersion, definition: Mapping[str, Any], reason: str
) -> ProtocolVersion:
    """Correct a version nobody has used yet; a used version is refused (make a new version)."""
    require_role(user, "change protocols", Role.ADMIN)
    locked = ProtocolVersion.objects.select_for_update().get(pk=record.pk)
    protocol_check_mutable(record=locked)
    try:
        protocol = protocol_from_dict(definition)
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from None
    if (protocol.code, protocol.version) != (locked.code, locked.version):
        raise ValidationError("code and version cannot change; add a new version instead")
    new_definition = definition_from_protocol(protocol)
    audit_record(
        actor=user,
        action="update",
        instance=locked,
        changes={"definition": [locked.definition, new_definition]},
        reason=reason,
    )
    locked.definition = new_definition
    locked.title = protocol.title
    locked.source = protocol.source
    locked.save(update_fields=["definition", "title", "source"])
    return locked
