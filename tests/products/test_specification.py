"""Issue #8: the endotoxin limit is the product type's specification, counts match the product,
and an expired unit is not received."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.administrations import services as sessions
from stromal.products import services
from stromal.products.models import LotStatus, ProductLot
from stromal.products.release import specified_endotoxin_limit_eu_per_ml
from tests.administrations.factories import running_session
from tests.products.factories import PASSING_RESULTS, next_din, received_lot

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_limit_is_set_at_receipt_from_the_product_type(cast: Any) -> None:
    lot = received_lot(cast.luke, product_type="bm_msc")
    assert lot.endotoxin_limit_eu_per_ml == specified_endotoxin_limit_eu_per_ml("bm_msc") == 0.5


def test_the_lab_cannot_loosen_the_endotoxin_limit_through_the_service(cast: Any) -> None:
    lot = received_lot(cast.luke)
    results = {**PASSING_RESULTS, "endotoxin_eu_per_ml": 3.0, "endotoxin_limit_eu_per_ml": 5.0}
    with pytest.raises(ValidationError) as exc:
        services.lot_record_results(lot=lot, actor=cast.luke, expected_version=lot.version, results=results)
    assert "endotoxin_limit_eu_per_ml" in exc.value.message_dict
    lot.refresh_from_db()
    assert lot.endotoxin_limit_eu_per_ml == 0.5 and lot.endotoxin_eu_per_ml is None


def test_the_results_page_shows_the_limit_read_only_and_ignores_a_posted_limit(cast: Any) -> None:
    lot = received_lot(cast.luke)
    client = _client(cast.luke)
    page = client.get(reverse("products:results", args=[lot.pk])).content.decode()
    assert 'name="endotoxin_limit_eu_per_ml"' not in page
    assert 'id="specification"' in page and "0.5" in page[page.index('id="specification"') :][:200]
    posted = {
        **{k: str(v) for k, v in PASSING_RESULTS.items()},
        "endotoxin_eu_per_ml": "3",
        "endotoxin_limit_eu_per_ml": "5",
        "version": str(lot.version),
    }
    assert client.post(reverse("products:results", args=[lot.pk]), posted).status_code == 302
    lot.refresh_from_db()
    assert lot.endotoxin_limit_eu_per_ml == 0.5
    with pytest.raises(ValidationError, match=r"must be below 0\.5 EU/mL"):
        services.lot_release(lot=lot, actor=cast.luke, expected_version=lot.version)


def test_a_particle_count_on_a_cell_lot_is_refused_naming_the_field(cast: Any) -> None:
    lot = received_lot(cast.luke, product_type="bm_msc")
    with pytest.raises(ValidationError) as exc:
        services.lot_record_results(
            lot=lot,
            actor=cast.luke,
            expected_version=lot.version,
            results={**PASSING_RESULTS, "particle_count": 5e10},
        )
    assert "particle_count" in exc.value.message_dict


def test_particles_given_for_a_cell_product_are_refused_naming_the_field(cast: Any) -> None:
    session = running_session(cast)
    assert session.product is not None and not session.product.is_exosome
    with pytest.raises(ValidationError) as exc:
        sessions.session_record_given(
            session=session, user=cast.nina, version=session.version, volume_given_ml=50, particles_given=5e10
        )
    assert "particles_given" in exc.value.message_dict
    session.refresh_from_db()
    assert session.volume_given_ml is None and session.particles_given is None


def test_an_already_expired_unit_is_not_received(cast: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        received_lot(cast.luke, expires_in_days=-1)
    assert "expires_at" in exc.value.message_dict
    assert not ProductLot.objects.exists()


def test_the_receive_page_refuses_an_expired_unit_next_to_the_expiry(cast: Any) -> None:
    expired = timezone.localtime(timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _client(cast.luke).post(
        reverse("products:receive"),
        {
            "din_text": next_din(),
            "product_code": "S1234",
            "product_type": "bm_msc",
            "donor_code": "D-1",
            "volume_ml": "50",
            "expires_at": expired,
            "expiry_after_thaw_hours": "4",
        },
    )
    assert response.status_code == 200
    assert "it cannot be received" in response.context["form"].errors["expires_at"][0]
    assert not ProductLot.objects.filter(status=LotStatus.QUARANTINE).exists()
