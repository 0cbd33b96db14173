"""Accounts through the administration pages: created without a password, a one-time link to set
one, changed and deactivated with a reason, every change audited, never deleted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from stromal.accounts.models import User
from stromal.audit.models import AuditEvent
from stromal.staff import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plankton-orbit-saffron-42"


def _admin(cast: Any) -> Client:
    client = Client()
    client.force_login(cast.ada)
    return client


def _link_on(page: str) -> str:
    match = re.search(r'id="password-link-url">https?://[^/]+(/[^<]+)</code>', page)
    assert match, "no password link on the page"
    return match.group(1)


def _signs_in(username: str, password: str) -> bool:
    """Through the sign-in page (django-axes counts it as a person's attempt)."""
    response = Client().post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code == 302


def _create_nora(client: Client) -> tuple[User, str]:
    response = client.post(
        reverse("staff:user_new"),
        {"username": "nora", "printed_name": "Nora North, RN", "role": "nurse", "first_name": "Nora"},
        follow=True,
    )
    assert response.status_code == 200
    return User.objects.get(username="nora"), _link_on(response.content.decode())


def _set_password(link: str, password: str, again: str | None = None) -> Any:
    client = Client()
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    return client.post(action, {"new_password1": password, "new_password2": again or password}, follow=True)


def test_an_account_is_created_at_the_admins_site_without_a_password_and_audited(cast: Any) -> None:
    nora, _ = _create_nora(_admin(cast))
    assert nora.site_id == cast.ada.site_id and nora.role == "nurse" and not nora.has_usable_password()
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(nora.pk), action="create")
    assert event.actor_id == cast.ada.pk
    assert event.changes["role"] == [None, "nurse"] and event.changes["site"] == [None, "north"]
    assert "password" not in event.changes
    assert AuditEvent.objects.filter(action="password_link", changes__account=[None, "nora"]).exists()


def test_the_link_is_shown_once_and_sets_a_password_only_once(cast: Any) -> None:
    client = _admin(cast)
    nora, link = _create_nora(client)
    page = client.get(reverse("staff:user", args=[nora.pk])).content.decode()
    assert 'id="password-link-url"' not in page  # shown once, after creating
    done = _set_password(link, NEW_PASSWORD)
    assert "Your password is set" in done.content.decode()
    nora.refresh_from_db()
    assert nora.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="password_set", actor=nora).exists()
    reused = _set_password(link, "another-long-password-77")
    assert 'id="link-invalid"' in reused.content.decode()
    nora.refresh_from_db()
    assert nora.check_password(NEW_PASSWORD)
    assert _signs_in("nora", NEW_PASSWORD)


def test_the_link_holds_the_password_rules_next_to_the_field(cast: Any) -> None:
    _, link = _create_nora(_admin(cast))
    response = _set_password(link, "short1")
    page = response.content.decode()
    assert response.status_code == 200 and "at least 12 characters" in page
    assert 'class="field-error"' in page
    mismatch = _set_password(link, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert "didn’t match" in mismatch.content.decode() or "didn't match" in mismatch.content.decode()
    assert not User.objects.get(username="nora").has_usable_password()


def test_a_reset_link_keeps_the_old_password_until_used_and_is_audited_with_its_reason(cast: Any) -> None:
    client = _admin(cast)
    response = client.post(
        reverse("staff:user_password_link", args=[cast.nina.pk]),
        {"reason": "forgot her password"},
        follow=True,
    )
    link = _link_on(response.content.decode())
    assert User.objects.get(pk=cast.nina.pk).check_password(PASSWORD)
    event = AuditEvent.objects.get(action="password_link", changes__account=[None, "nina"])
    assert event.reason == "forgot her password" and event.actor_id == cast.ada.pk
    _set_password(link, NEW_PASSWORD)
    assert User.objects.get(pk=cast.nina.pk).check_password(NEW_PASSWORD)


def test_a_change_needs_a_reason_and_the_trail_keeps_old_and_new(cast: Any) -> None:
    client = _admin(cast)
    data = {"username": "nina", "printed_name": "Nina Novak, RN", "role": "coordinator", "reason": ""}
    refused = client.post(reverse("staff:user_edit", args=[cast.nina.pk]), data)
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    assert User.objects.get(pk=cast.nina.pk).role == "nurse"
    client.post(reverse("staff:user_edit", args=[cast.nina.pk]), {**data, "reason": "moved to coordination"})
    assert User.objects.get(pk=cast.nina.pk).role == "coordinator"
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(cast.nina.pk), action="update")
    assert event.changes == {"role": ["nurse", "coordinator"]} and event.reason == "moved to coordination"


def test_an_administrator_cannot_change_their_own_role_or_deactivate_themselves(cast: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        services.user_update(admin=cast.ada, user=cast.ada, reason="x", role="monitor")
    assert refused.value.message_dict == {"role": [services.OWN_ROLE]}
    with pytest.raises(ValidationError, match="deactivate your own"):
        services.user_set_active(admin=cast.ada, user=cast.ada, active=False, reason="leaving")


def test_a_username_is_unique_whatever_its_case(cast: Any) -> None:
    response = _admin(cast).post(
        reverse("staff:user_new"), {"username": "NINA", "printed_name": "Another Nina", "role": "nurse"}
    )
    assert response.status_code == 400
    assert "is taken" in response.content.decode()


def test_a_deactivated_person_cannot_sign_in_and_their_session_ends(cast: Any) -> None:
    nina = Client()
    nina.force_login(cast.nina)
    client = _admin(cast)
    refused = client.post(reverse("staff:user_active", args=[cast.nina.pk]), {"reason": " "})
    assert refused.status_code == 400
    client.post(reverse("staff:user_active", args=[cast.nina.pk]), {"reason": "left the clinic"})
    assert not User.objects.get(pk=cast.nina.pk).is_active
    assert nina.get(reverse("pathway:worklist")).status_code == 302
    assert not _signs_in("nina", PASSWORD)
    event = AuditEvent.objects.get(object_id=str(cast.nina.pk), action="deactivate")
    assert event.changes == {"is_active": [True, False]} and event.reason == "left the clinic"
    assert User.objects.filter(pk=cast.nina.pk).exists()  # never deleted
    client.post(reverse("staff:user_active", args=[cast.nina.pk]), {"reason": "came back"})
    assert _signs_in("nina", PASSWORD)


def test_the_accounts_list_shows_only_the_admins_site(cast: Any) -> None:
    page = _admin(cast).get(reverse("staff:users"), {"state": "all"}).content.decode()
    assert ">nina<" in page and ">oscar<" not in page
