"""Every user can change their own password; weak passwords are refused (12 characters at least)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_sign_in() -> None:
    response = Client().get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("weak", ["Summer2024!", "password1234", "123456789012"])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_a_nurse_changes_her_password_and_the_old_one_stops_working(cast: Any) -> None:
    client = Client()
    client.force_login(cast.nina)
    refused = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Summer2024!", "new_password2": "Summer2024!"},
    )
    assert refused.status_code == 200
    assert 'id="id_new_password2-error"' in refused.content.decode()
    new = "lantern-orchid-meridian-41"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_done")
    cast.nina.refresh_from_db()
    assert cast.nina.check_password(new) and not cast.nina.check_password(PASSWORD)
