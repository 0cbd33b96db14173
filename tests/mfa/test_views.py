"""Second-factor pages: the permission matrix for every role and anonymous."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.pathway.factories import ROLES, client_for

pytestmark = pytest.mark.django_db

EVERY_ROLE = {r for r in ROLES if r != "anonymous"}
# name -> roles that open it with GET (200); the others get 403, anonymous the sign-in page.
MATRIX = {
    "mfa:manage": EVERY_ROLE,
    "mfa:enrol": EVERY_ROLE,
    "mfa:codes": EVERY_ROLE,
    "mfa:users": {"admin"},
    "mfa:reset": {"admin"},
}
# Without a device the code page has nothing to ask: it sends the user on (302).
REDIRECTS = {"mfa:verify": EVERY_ROLE}


def _url(name: str, cast: Any) -> str:
    return reverse(name, args=[cast.nina.pk]) if name == "mfa:reset" else reverse(name)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(cast: Any, role: str) -> None:
    client = client_for(Client(), cast, role)
    for name, allowed in {**MATRIX, **REDIRECTS}.items():
        response = client.get(_url(name, cast))
        if role == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("accounts:login")), name
        elif role in allowed:
            assert response.status_code == (302 if name in REDIRECTS else 200), (name, role)
        else:
            assert response.status_code == 403, (name, role)
