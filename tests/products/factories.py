"""Product lots for tests, made through the services (so the rules apply)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone
from stdnum.iso7064 import mod_37_2

from stromal.accounts.models import User
from stromal.products import services
from stromal.products.models import ProductLot

_SEQUENCE = itertools.count(100001)

PASSING_RESULTS: dict[str, Any] = {
    "sterility": "no_growth",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.1,
    "viability_pct": 92.0,
    "cell_count": 1.2e8,
    "cd105_pct": 98.0,
    "cd73_pct": 99.0,
    "cd90_pct": 97.5,
    "cd45_pct": 0.5,
    "cd34_pct": 0.3,
    "cd14_cd11b_pct": 1.0,
    "cd79a_cd19_pct": 0.2,
    "hla_dr_pct": 1.9,
}


def next_din() -> str:
    body = f"T9999{26:02d}{next(_SEQUENCE):06d}"
    check: str = mod_37_2.calc_check_digit(body)
    return body + check


def received_lot(lab: User, *, product_type: str = "uc_msc", expires_in_days: float = 30) -> ProductLot:
    return services.lot_receive(
        actor=lab,
        din_text=next_din(),
        product_code="S1234",
        product_type=product_type,
        donor_code="D-001",
        volume_ml=50.0,
        passage=3,
        expires_at=timezone.now() + dt.timedelta(days=expires_in_days),
    )


def second_lab_person(lab: User) -> User:
    """Another lab / pharmacy person at ``lab``'s site: the one who releases (segregation of duties)."""
    user, _ = User.objects.get_or_create(
        username=f"{lab.username}-releaser",
        defaults={"role": lab.role, "site": lab.site, "printed_name": f"Second checker for {lab.username}"},
    )
    return user


def released_lot(lab: User, *, product_type: str = "uc_msc", expires_in_days: float = 30) -> ProductLot:
    """A lot received and tested by ``lab`` and released by a second lab person."""
    lot = received_lot(lab, product_type=product_type, expires_in_days=expires_in_days)
    results = dict(PASSING_RESULTS)
    if product_type == "msc_exosome":
        results = {
            "sterility": "no_growth",
            "mycoplasma": "negative",
            "endotoxin_eu_per_ml": 0.1,
            "particle_count": 2e8,
        }
    services.lot_record_results(lot=lot, actor=lab, expected_version=lot.version, results=results)
    services.lot_release(lot=lot, actor=second_lab_person(lab), expected_version=lot.version)
    return lot
