"""Administration pages: only the site's administrator opens them; anonymous visitors are sent to sign in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ["alice", "nina", "cora", "luke", "mona", "ivan", "ada"]

# (url name, argument: "user" (an account of the site), "site" (the admin's site) or None)
PAGES = [
    ("staff:index", None),
    ("staff:users", None),
    ("staff:user_new", None),
    ("staff:user", "user"),
    ("staff:user_edit", "user"),
    ("staff:user_active", "user"),
    ("staff:user_password_link", "user"),
    ("staff:sites", None),
    ("staff:site_new", None),
    ("staff:site_edit", "site"),
    ("staff:security", None),
    ("staff:locks", None),
]


def _url(cast: Any, name: str, arg: str | None) -> str:
    args = {"user": [cast.nina.pk], "site": [cast.ada.site_id], None: []}[arg]
    return reverse(name, args=args)


@pytest.mark.parametrize("who", [*ROLES, None])
def test_permission_matrix(cast: Any, who: str | None) -> None:
    client = Client()
    if who:
        client.force_login(getattr(cast, who))
    for name, arg in PAGES:
        for method in ("get", "post"):
            response = getattr(client, method)(_url(cast, name, arg))
            if who is None:
                assert response.status_code == 302, (name, method)
                assert "/accounts/login/" in response["Location"]
            elif who == "ada":
                assert response.status_code in (200, 302, 400), (name, method, response.status_code)
            else:
                assert response.status_code == 403, (name, method, who)
    if who != "ada":
        assert User.objects.get(pk=cast.nina.pk).is_active
    # The password link is the one page here that needs no sign-in: a made-up link sets nothing.
    link = client.get(reverse("password_set", kwargs={"uidb64": "MQ", "token": "made-up-token"}))
    assert link.status_code == 200 and 'id="link-invalid"' in link.content.decode()


def test_another_sites_administrator_finds_no_such_account_or_site(cast: Any, other_site: Any) -> None:
    olga = User.objects.create_user(
        username="olga", password=PASSWORD, role="admin", site=other_site, printed_name="Olga Other"
    )
    client = Client()
    client.force_login(olga)
    for name, arg in PAGES:
        if arg is None:
            continue
        assert client.get(_url(cast, name, arg)).status_code == 404, name
        response = client.post(_url(cast, name, arg), {"reason": "taking over", "role": "admin"})
        assert response.status_code == 404, name
    nina = User.objects.get(pk=cast.nina.pk)
    assert nina.is_active and nina.role == "nurse"


def test_the_password_link_page_is_open_without_signing_in_and_refuses_a_made_up_link(cast: Any) -> None:
    response = Client().get(reverse("password_set", kwargs={"uidb64": "MQ", "token": "made-up-token"}))
    assert response.status_code == 200
    assert 'id="link-invalid"' in response.content.decode()


def test_only_the_administrator_is_offered_administration_on_the_worklist(cast: Any) -> None:
    for who in ROLES:
        client = Client()
        client.force_login(getattr(cast, who))
        page = client.get(reverse("pathway:worklist")).content.decode()
        assert (reverse("staff:index") in page) == (who == "ada"), who
