"""Reads of product lots, always scoped to the reader's site."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.audit.models import AuditEvent
from stromal.audit.selectors import audit_for_object
from stromal.products.models import CustodyEvent, ProductLot


def lot_list(*, user: User, status: str | None = None) -> QuerySet[ProductLot]:
    if user.site_id is None:
        return ProductLot.objects.none()
    lots = ProductLot.objects.filter(site_id=user.site_id)
    if status:
        lots = lots.filter(status=status)
    return lots


def lot_get(*, user: User, pk: int) -> ProductLot:
    """The lot, or 404 when it belongs to another site (or does not exist)."""
    return get_object_or_404(ProductLot, pk=pk, site_id=user.site_id or -1)


def lot_custody(*, lot: ProductLot) -> QuerySet[CustodyEvent]:
    return lot.custody_events.select_related("actor")


def lot_history(*, lot: ProductLot) -> QuerySet[AuditEvent]:
    """Every audited change of the lot, oldest first (what, who, when, why)."""
    return audit_for_object(lot)
