from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.protocols.models import ProtocolVersion


def protocol_list() -> QuerySet[ProtocolVersion]:
    """Protocols are shared by every site (they are data, not patient records)."""
    return ProtocolVersion.objects.all()


def protocol_get(*, pk: int) -> ProtocolVersion:
    return get_object_or_404(ProtocolVersion, pk=pk)


def protocol_latest(code: str) -> ProtocolVersion:
    """The newest version of ``code`` (by creation), for new plans."""
    return ProtocolVersion.objects.filter(code=code).latest("created_at", "id")
