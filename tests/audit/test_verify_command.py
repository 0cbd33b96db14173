"""``stromal audit verify`` on a real database: exit 0 when intact, 1 naming the broken event."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from stromal.accounts.models import Site
from stromal.audit.models import AuditEvent
from stromal.audit.services import audit_chain_verify, audit_record
from stromal.cli import main


def _events(n: int) -> list[AuditEvent]:
    site = Site.objects.create(code="chain", name="Chain")
    return [audit_record(actor=None, action=f"step_{i}", instance=site) for i in range(n)]


def _raw(sql: str, params: list[object]) -> None:
    # The test database runs without the append-only guard (see tests/conftest.py),
    # standing in for an attacker who disabled it.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_an_intact_trail_verifies_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    _events(3)
    assert main(["audit", "verify"]) == 0
    assert "audit trail intact: 3 events" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_tampered_row_exits_1_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    events = _events(4)
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["nothing happened", events[2].pk])
    assert main(["audit", "verify"]) == 1
    assert f"event id {events[2].pk}" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_deleted_row_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    events = _events(4)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    assert main(["audit", "verify"]) == 1
    assert "missing" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_forged_back_dated_sign_event_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    events = _events(2)
    last = events[-1]
    _raw(
        "INSERT INTO audit_auditevent (at, actor_username, action, object_type, object_id, changes, "
        "reason, source, sequence, previous_hash, event_hash) VALUES (%s, 'alice', 'plan_sign', "
        "'plans.treatmentplan', '1', '{}', '', '', %s, %s, %s)",
        ["2020-01-01T00:00:00+00:00", last.sequence + 1, last.event_hash, "f" * 64],
    )
    assert main(["audit", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need separate server connections (the PostgreSQL run)")
    site = Site.objects.create(code="race", name="Race")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(n):
                audit_record(actor=None, action=f"write_{i}", instance=site)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(10,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain_verify()
    assert report.intact, report.first_break
    assert report.events == 80
