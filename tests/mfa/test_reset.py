"""An administrator resets a lost second factor, with a reason, at their own site only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import user_has_device

from stromal.accounts.models import User
from stromal.audit.models import AuditEvent
from stromal.mfa.services import RESET_REASON_REQUIRED
from tests.conftest import PASSWORD
from tests.mfa.factories import enrolled, password_signed_in, post_form

pytestmark = pytest.mark.django_db


def _admin(cast: Any) -> Client:
    client = Client()
    client.force_login(cast.ada)
    return client


def test_the_administrator_sees_each_account_of_the_site_with_its_second_factor(cast: Any) -> None:
    enrolled(cast.alice)
    page = _admin(cast).get(reverse("mfa:users")).content.decode()
    assert "Dr Alice Adams (alice)" in page and "Nina Novak, RN (nina)" in page
    assert "Dr Oscar Out" not in page
    assert reverse("mfa:reset", args=[cast.alice.pk]) in page
    assert reverse("mfa:reset", args=[cast.nina.pk]) not in page


def test_a_reset_needs_a_reason_named_next_to_the_field(cast: Any) -> None:
    enrolled(cast.alice)
    response = post_form(_admin(cast), reverse("mfa:reset", args=[cast.alice.pk]), {"reason": "   "})
    assert response.status_code == 400
    assert user_has_device(cast.alice)
    assert RESET_REASON_REQUIRED in response.content.decode()


def test_a_reset_removes_the_factor_is_audited_and_the_physician_enrols_again(
    cast: Any, settings: Any
) -> None:
    settings.MFA_REQUIRED_ROLES = frozenset({"physician"})
    enrolled(cast.alice)
    response = post_form(
        _admin(cast), reverse("mfa:reset", args=[cast.alice.pk]), {"reason": "phone lost, called back"}
    )
    assert response.status_code == 302
    assert not user_has_device(cast.alice, confirmed=None)
    event = AuditEvent.objects.get(action="mfa_reset", object_id=str(cast.alice.pk))
    assert event.actor == cast.ada and event.reason == "phone lost, called back"
    assert (
        password_signed_in(cast.alice).get("/pathway/worklist/")["Location"].startswith(reverse("mfa:enrol"))
    )


def test_another_sites_administrator_finds_no_such_account(cast: Any, other_site: Any) -> None:
    enrolled(cast.alice)
    olga = User.objects.create_user(username="olga", password=PASSWORD, role="admin", site=other_site)
    client = Client()
    client.force_login(olga)
    url = reverse("mfa:reset", args=[cast.alice.pk])
    assert client.get(url).status_code == 404
    assert post_form(client, url, {"reason": "social engineering"}).status_code == 404
    assert user_has_device(cast.alice)


def test_no_other_role_may_reset(cast: Any) -> None:
    enrolled(cast.alice)
    client = Client()
    client.force_login(cast.bob)
    assert post_form(client, reverse("mfa:reset", args=[cast.alice.pk]), {"reason": "x"}).status_code == 403
    assert user_has_device(cast.alice)
