"""The security log: sign-ins, sign-outs, failed sign-ins and signatures, lockouts; read, filtered
and exported by the administrator; an administrator unlocks with a reason."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from stromal.audit.models import AuditEvent
from stromal.staff.models import SecurityEvent, SecurityEventKind
from tests.conftest import PASSWORD
from tests.pathway.factories import make_plan

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-0000"


def _sign_in(username: str, password: str, client: Client | None = None, address: str = "127.0.0.1") -> Any:
    client = client or Client()
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _admin(cast: Any) -> Client:
    client = Client()
    client.force_login(cast.ada)
    return client


def test_a_failed_sign_in_is_logged_with_the_name_typed_and_the_address(cast: Any) -> None:
    _sign_in("alice", WRONG, address="192.0.2.7")
    event = SecurityEvent.objects.get(kind=SecurityEventKind.SIGN_IN_FAILED)
    assert (event.username, event.user, event.ip_address) == ("alice", cast.alice, "192.0.2.7")
    assert event.site_id == cast.alice.site_id and not event.locked_out


def test_a_sign_in_and_a_sign_out_are_logged(cast: Any) -> None:
    client = Client()
    assert _sign_in("bob", PASSWORD, client).status_code == 302
    client.post(reverse("accounts:logout"))
    kinds = list(
        SecurityEvent.objects.filter(user=cast.bob).order_by("at", "id").values_list("kind", flat=True)
    )
    assert kinds == [SecurityEventKind.SIGN_IN, SecurityEventKind.SIGN_OUT]


def test_a_wrong_password_on_a_signature_is_logged_as_a_failed_signature(cast: Any) -> None:
    plan = make_plan(cast)
    client = Client()
    client.force_login(cast.alice)
    client.post(
        reverse("plans:sign", kwargs={"pk": plan.pk}), {"version": 1, "username": "alice", "password": WRONG}
    )
    event = SecurityEvent.objects.exclude(kind=SecurityEventKind.SIGN_IN).get(user=cast.alice)
    assert event.kind == SecurityEventKind.SIGNATURE_FAILED
    assert event.path == reverse("plans:sign", kwargs={"pk": plan.pk})


def test_the_failure_that_locks_the_account_is_marked_and_the_admin_unlocks_it_with_a_reason(
    cast: Any,
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in("alice", WRONG)
    assert SecurityEvent.objects.filter(username="alice", locked_out=True).exists()
    assert _sign_in("alice", PASSWORD).status_code == 429
    client = _admin(cast)
    page = client.get(reverse("staff:locks")).content.decode()
    assert "Unlock account alice" in page and "<strong>locked</strong>" in page
    refused = client.post(reverse("staff:locks"), {"username": "alice", "reason": ""})
    assert refused.status_code == 400 and 'id="unlock-errors"' in refused.content.decode()
    assert AccessAttempt.objects.filter(username="alice").exists()
    client.post(
        reverse("staff:locks"), {"username": "alice", "reason": "called the help desk, identity checked"}
    )
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert _sign_in("alice", PASSWORD).status_code == 302
    unlock = SecurityEvent.objects.get(kind=SecurityEventKind.UNLOCK)
    assert unlock.actor == cast.ada and "account alice" in unlock.detail
    audit = AuditEvent.objects.get(action="unlock")
    assert audit.reason == "called the help desk, identity checked" and audit.actor == cast.ada


def test_the_admin_unlocks_an_address(cast: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in("nobody-here", WRONG, address="198.51.100.9")
    assert _sign_in("bob", PASSWORD, address="198.51.100.9").status_code == 429
    response = _admin(cast).post(
        reverse("staff:locks"), {"address": "198.51.100.9", "reason": "our clinic's proxy address"}
    )
    assert response.status_code == 302
    assert _sign_in("bob", PASSWORD, address="198.51.100.9").status_code == 302


def test_an_address_that_is_no_address_is_refused_not_a_server_error(cast: Any) -> None:
    response = _admin(cast).post(reverse("staff:locks"), {"address": "not-an-ip'; --", "reason": "r"})
    assert response.status_code == 400 and "is not an IP address" in response.content.decode()


def test_the_log_shows_the_site_and_unknown_names_but_not_another_sites_accounts(cast: Any) -> None:
    _sign_in("alice", WRONG)
    _sign_in("oscar", WRONG)  # an account of the South site
    _sign_in("mallory", WRONG)  # no such account
    page = _admin(cast).get(reverse("staff:security")).content.decode()
    assert "alice" in page and "mallory" in page and "no such account" in page
    assert "oscar" not in page


def test_the_log_filters_by_event_and_pages(cast: Any) -> None:
    _sign_in("alice", WRONG)
    client = Client()
    _sign_in("bob", PASSWORD, client)
    admin = _admin(cast)
    page = admin.get(reverse("staff:security"), {"kind": "sign_in"}).content.decode()
    assert "bob" in page and "security-sign_in_failed" not in page
    bad = admin.get(reverse("staff:security"), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert bad.status_code == 200 and "before the &#x27;from&#x27; date" in bad.content.decode()
    for _ in range(60):
        SecurityEvent.objects.create(kind=SecurityEventKind.SIGN_IN_FAILED, username="mallory")
    first = admin.get(reverse("staff:security")).content.decode()
    assert "Page 1 of 2" in first


def test_the_csv_export_neutralises_formulas(cast: Any) -> None:
    _sign_in('=HYPERLINK("http://x")', WRONG)
    response = _admin(cast).get(reverse("staff:security"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["when", "event", "username"]
    failed = [row for row in rows[1:] if row[1] == "Failed sign-in"]
    assert len(failed) == 1 and failed[0][2].startswith("'=HYPERLINK")
