"""Product lots (one unit each) with release results and chain of custody."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from stromal.api.common import DateRange, PageMeta, PageQuery, RecordId, dated, page, reader, username
from stromal.products.models import CustodyEvent, LotStatus, ProductLot
from stromal.products.selectors import lot_get, lot_list

router = Router(tags=["product lots"])

#: The lot's own fields, as stored (units in the names).
LOT_FIELDS = (
    "din",
    "din_check",
    "product_code",
    "product_type",
    "donor_code",
    "passage",
    "cell_count",
    "particle_count",
    "volume_ml",
    "viability_pct",
    "sterility",
    "mycoplasma",
    "endotoxin_eu_per_ml",
    "endotoxin_limit_eu_per_ml",
    "cd105_pct",
    "cd73_pct",
    "cd90_pct",
    "cd45_pct",
    "cd34_pct",
    "cd14_cd11b_pct",
    "cd79a_cd19_pct",
    "hla_dr_pct",
    "expires_at",
    "expiry_after_thaw_hours",
    "thawed_at",
    "thaw_expires_at",
    "status",
    "released_at",
    "discard_reason",
    "created_at",
    "version",
)


class CustodyOut(Schema):
    kind: str
    at: dt.datetime
    actor: str | None
    location: str
    note: str


class LotOut(Schema):
    id: int
    din: str = Field(description="ISBT 128 donation identification number (13 characters)")
    din_check: str = Field(description="ISO 7064 Mod 37-2 check character")
    isbt128: str = Field(description="the DIN as printed, with its check character")
    product_code: str
    product_type: str
    donor_code: str
    passage: int | None
    cell_count: float | None
    particle_count: float | None
    volume_ml: float
    viability_pct: float | None
    sterility: str
    mycoplasma: str
    endotoxin_eu_per_ml: float | None
    endotoxin_limit_eu_per_ml: float
    cd105_pct: float | None
    cd73_pct: float | None
    cd90_pct: float | None
    cd45_pct: float | None
    cd34_pct: float | None
    cd14_cd11b_pct: float | None
    cd79a_cd19_pct: float | None
    hla_dr_pct: float | None
    expires_at: dt.datetime
    expiry_after_thaw_hours: float
    thawed_at: dt.datetime | None
    thaw_expires_at: dt.datetime | None
    status: str
    released_at: dt.datetime | None
    released_by: str | None
    discard_reason: str
    created_at: dt.datetime
    version: int
    custody: list[CustodyOut] = Field(description="chain of custody, oldest first")


class LotPage(PageMeta):
    items: list[LotOut]


class LotFilters(DateRange):
    status: LotStatus | None = None


def with_related(qs: Any) -> Any:
    return qs.select_related("released_by").prefetch_related(
        Prefetch("custody_events", queryset=CustodyEvent.objects.select_related("actor"))
    )


def present(lots: Sequence[ProductLot]) -> list[dict[str, Any]]:
    return [
        {
            "id": lot.pk,
            **{name: getattr(lot, name) for name in LOT_FIELDS},
            "isbt128": lot.din_display,
            "released_by": username(lot.released_by),
            "custody": [
                {
                    "kind": c.kind,
                    "at": c.at,
                    "actor": username(c.actor),
                    "location": c.location,
                    "note": c.note,
                }
                for c in lot.custody_events.all()
            ],
        }
        for lot in lots
    ]


@router.get("/product-lots", response=LotPage, summary="List product lots")
def lots(request: HttpRequest, filters: Query[LotFilters], paging: Query[PageQuery]) -> dict[str, Any]:
    """The site's units; ``date_from``/``date_to`` filter on the expiry date."""
    qs = lot_list(user=reader(request), status=filters.status)
    qs = with_related(dated(qs, "expires_at__date", filters).order_by("expires_at", "id"))
    return page(request, qs, paging, present)


@router.get("/product-lots/{int:lot_id}", response=LotOut, summary="One product lot")
def lot(request: HttpRequest, lot_id: RecordId) -> dict[str, Any]:
    found = lot_get(user=reader(request), pk=lot_id)
    return present(with_related(ProductLot.objects.filter(pk=found.pk)))[0]
