from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stromal.audit.locking import STALE_EDIT
from stromal.audit.models import AuditEvent
from stromal.products import services
from stromal.products.models import CustodyEvent, LotStatus, ProductLot
from tests.products.factories import PASSING_RESULTS, next_din, received_lot, released_lot, second_lab_person

pytestmark = pytest.mark.django_db


def test_receiving_a_unit_puts_it_in_quarantine_with_custody_and_audit(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    assert lot.status == LotStatus.QUARANTINE
    assert list(lot.custody_events.values_list("kind", flat=True)) == ["received"]
    assert AuditEvent.objects.filter(object_type="products.productlot", action="lot_receive").count() == 1


def test_it_refuses_a_din_with_a_wrong_check_character(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.lot_receive(
            actor=cast.luke,
            din_text="G123498654321Y",
            product_code="S1234",
            product_type="uc_msc",
            donor_code="D",
            volume_ml=50,
            expires_at=timezone.now() + dt.timedelta(days=3),
        )
    assert "din" in exc.value.message_dict
    assert not ProductLot.objects.exists()


def test_it_refuses_the_same_din_twice(cast) -> None:  # type: ignore[no-untyped-def]
    din = next_din()
    kwargs = dict(
        actor=cast.luke,
        din_text=din,
        product_code="S1234",
        product_type="uc_msc",
        donor_code="D",
        volume_ml=50.0,
        expires_at=timezone.now() + dt.timedelta(days=3),
    )
    services.lot_receive(**kwargs)
    with pytest.raises(ValidationError, match="already exists"):
        services.lot_receive(**kwargs)


@pytest.mark.parametrize("who", ["nina", "alice", "mona", "ada"])
def test_only_lab_staff_manage_lots(cast, who: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=services.NOT_LAB):
        received_lot(getattr(cast, who))


def test_a_lot_with_passing_results_is_released_with_who_and_when(cast) -> None:  # type: ignore[no-untyped-def]
    lot = released_lot(cast.luke)
    lot.refresh_from_db()
    assert lot.status == LotStatus.RELEASED
    assert lot.released_by == second_lab_person(cast.luke) and lot.released_at is not None
    kinds = list(lot.custody_events.values_list("kind", flat=True))
    assert kinds == ["received", "tested", "released"]


def test_release_is_refused_while_identity_markers_fail_isct(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    results = {**PASSING_RESULTS, "cd73_pct": 90.0}
    services.lot_record_results(lot=lot, actor=cast.luke, expected_version=lot.version, results=results)
    with pytest.raises(ValidationError, match="cd73_pct"):
        services.lot_release(lot=lot, actor=cast.luke, expected_version=lot.version)
    lot.refresh_from_db()
    assert lot.status == LotStatus.QUARANTINE


def test_release_of_an_expired_lot_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke, expires_in_days=1)
    ProductLot.objects.filter(pk=lot.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )  # expired in quarantine
    lot.refresh_from_db()
    services.lot_record_results(
        lot=lot, actor=cast.luke, expected_version=lot.version, results=PASSING_RESULTS
    )
    with pytest.raises(ValidationError, match="expired"):
        services.lot_release(lot=lot, actor=cast.luke, expected_version=lot.version)


def test_a_discarded_lot_cannot_be_released(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    services.lot_discard(lot=lot, actor=cast.luke, expected_version=lot.version, reason="bag damaged")
    with pytest.raises(ValidationError, match="cannot become"):
        services.lot_release(lot=lot, actor=cast.luke, expected_version=lot.version)
    assert lot.custody_events.filter(kind=CustodyEvent.Kind.DISCARDED).exists()


def test_discarding_needs_a_reason(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    with pytest.raises(ValidationError, match="reason"):
        services.lot_discard(lot=lot, actor=cast.luke, expected_version=lot.version, reason="  ")


def test_a_stale_edit_of_results_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    opened_at = lot.version
    services.lot_record_results(
        lot=lot, actor=cast.luke, expected_version=opened_at, results={"viability_pct": 90}
    )
    stale = ProductLot.objects.get(pk=lot.pk)
    stale.version = opened_at  # a second editor who opened the form before the first save
    with pytest.raises(ValidationError, match=STALE_EDIT[:20]):
        services.lot_record_results(
            lot=stale, actor=cast.luke, expected_version=opened_at, results={"viability_pct": 50}
        )
    assert ProductLot.objects.get(pk=lot.pk).viability_pct == 90


def test_the_database_refuses_a_released_lot_without_passing_tests(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductLot.objects.filter(pk=lot.pk).update(status=LotStatus.RELEASED)


def test_the_database_refuses_an_unknown_status(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductLot.objects.filter(pk=lot.pk).update(status="lost")


def test_the_database_refuses_a_discard_without_reason(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductLot.objects.filter(pk=lot.pk).update(status=LotStatus.DISCARDED)


def test_expiry_after_thaw_counts_from_thaw(cast) -> None:  # type: ignore[no-untyped-def]
    lot = released_lot(cast.luke)
    now = timezone.now()
    lot.thaw_expires_at = now + dt.timedelta(hours=4)
    assert services.lot_expiry_problem(lot, at=now + dt.timedelta(hours=3)) is None
    problem = services.lot_expiry_problem(lot, at=now + dt.timedelta(hours=4, minutes=1))
    assert problem is not None and "after thaw" in problem


def test_recording_results_for_the_first_time_needs_no_reason(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    services.lot_record_results(
        lot=lot, actor=cast.luke, expected_version=lot.version, results={"viability_pct": 90}
    )
    assert ProductLot.objects.get(pk=lot.pk).viability_pct == 90


def test_correcting_a_recorded_result_needs_a_reason(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    services.lot_record_results(
        lot=lot, actor=cast.luke, expected_version=lot.version, results={"viability_pct": 90}
    )
    lot.refresh_from_db()
    with pytest.raises(ValidationError, match="correcting a recorded release-test result"):
        services.lot_record_results(
            lot=lot, actor=cast.luke, expected_version=lot.version, results={"viability_pct": 50}
        )
    assert ProductLot.objects.get(pk=lot.pk).viability_pct == 90


def test_a_correction_with_its_reason_is_saved_and_audited_with_the_reason(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    services.lot_record_results(
        lot=lot, actor=cast.luke, expected_version=lot.version, results={"viability_pct": 90}
    )
    lot.refresh_from_db()
    services.lot_record_results(
        lot=lot,
        actor=cast.luke,
        expected_version=lot.version,
        results={"viability_pct": 85},
        reason="transcription error: certificate says 85 %",
    )
    event = AuditEvent.objects.filter(action="lot_record_results").order_by("-id").first()
    assert event is not None
    assert event.changes["viability_pct"] == [90, 85]
    assert event.reason == "transcription error: certificate says 85 %"


def test_the_person_who_recorded_the_results_cannot_release_the_lot(cast) -> None:  # type: ignore[no-untyped-def]
    lot = received_lot(cast.luke)
    services.lot_record_results(
        lot=lot, actor=cast.luke, expected_version=lot.version, results=dict(PASSING_RESULTS)
    )
    lot.refresh_from_db()
    with pytest.raises(ValidationError, match="segregation of duties"):
        services.lot_release(lot=lot, actor=cast.luke, expected_version=lot.version)
    services.lot_release(lot=lot, actor=second_lab_person(cast.luke), expected_version=lot.version)
    assert ProductLot.objects.get(pk=lot.pk).status == LotStatus.RELEASED
