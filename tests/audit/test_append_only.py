import pytest
from django.db import DatabaseError, connection, transaction

from stromal.accounts.models import Site
from stromal.audit.db_guard import install_append_only_guard
from stromal.audit.models import AuditEvent
from stromal.audit.selectors import audit_for_object
from stromal.audit.services import audit_record, diff


def test_diff_lists_only_changed_fields() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


@pytest.mark.django_db
def test_it_records_who_what_old_new_and_why(cast) -> None:  # type: ignore[no-untyped-def]
    site = cast.alice.site
    event = audit_record(
        actor=cast.alice,
        action="update",
        instance=site,
        changes={"name": ["North Clinic", "North"]},
        reason="typo",
    )
    assert audit_for_object(site).get() == event
    assert event.actor_username == "alice"
    assert event.changes == {"name": ["North Clinic", "North"]}


@pytest.mark.django_db
def test_the_database_refuses_to_update_or_delete_audit_events() -> None:
    # The test database runs without the guard (see conftest); install the
    # migration's guard inside this test's transaction, which rolls it back.
    install_append_only_guard(connection)
    site = Site.objects.create(code="x", name="X")
    event = audit_record(actor=None, action="create", instance=site)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_a_snapshot_leaves_out_fields_derived_from_others(cast) -> None:  # type: ignore[no-untyped-def]
    from stromal.audit.services import snapshot
    from tests.pathway.factories import make_patient

    patient = make_patient(cast.cora)
    assert "search_text" not in snapshot(patient)
    assert "family_name" in snapshot(patient)
