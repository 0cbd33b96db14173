from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from stromal.plans.models import PlanStatus
from tests.pathway.factories import ROLES, client_for, expected, make_plan

pytestmark = pytest.mark.django_db

EVERYONE = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin")
DECIDERS = ("physician", "coordinator")


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client: Any, cast: Any, role: str) -> None:
    plan = make_plan(cast)
    c = client_for(client, cast, role)
    pk = {"pk": plan.pk}
    assert c.get(reverse("plans:detail", kwargs=pk)).status_code == expected(role, EVERYONE)
    assert c.get(
        reverse("plans:eligibility", kwargs={"pk": plan.eligibility_check_id})
    ).status_code == expected(role, EVERYONE)
    assert c.get(reverse("plans:sign", kwargs=pk)).status_code == expected(role, ("physician",))
    assert c.get(reverse("plans:edit", kwargs=pk)).status_code == expected(role, ("physician",))
    assert c.get(reverse("plans:revise", kwargs=pk)).status_code == expected(role, ("physician",))
    assert c.get(reverse("plans:withdraw", kwargs=pk)).status_code == expected(role, ("physician",))
    for name in ("plans:meeting", "plans:consent", "plans:decision"):
        assert c.get(reverse(name, kwargs=pk)).status_code == expected(role, DECIDERS)
    run = reverse("plans:eligibility_run", kwargs={"encounter_pk": plan.encounter_id})
    assert c.post(run, {"protocol": plan.protocol_version_id}).status_code == expected(
        role, ("physician",), 302
    )


def test_a_nurse_posting_a_signature_is_refused(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.nina)
    response = client.post(
        reverse("plans:sign", kwargs={"pk": plan.pk}),
        {"version": 1, "username": "nina", "password": cast.password},
    )
    assert response.status_code == 403
    assert not plan.signatures.exists()


def test_signing_twice_through_the_page_is_refused_with_a_message(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.alice)
    url = reverse("plans:sign", kwargs={"pk": plan.pk})
    credentials = {"version": 1, "username": "alice", "password": cast.password}
    assert client.post(url, credentials).status_code == 302
    again = client.post(url, credentials)
    assert again.status_code == 400 and "already signed" in again.content.decode()


def test_a_wrong_password_is_shown_next_to_the_field(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.alice)
    response = client.post(
        reverse("plans:sign", kwargs={"pk": plan.pk}), {"version": 1, "username": "alice", "password": "nope"}
    )
    assert response.status_code == 400 and "password is not correct" in response.content.decode()


def test_the_sign_page_shows_printed_name_and_meaning(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.bob)
    page = client.get(reverse("plans:sign", kwargs={"pk": plan.pk})).content.decode()
    assert "Dr Bob Brown" in page and "approved treatment plan" in page


def test_two_physicians_sign_through_the_pages(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    for doctor in (cast.alice, cast.bob):
        client.force_login(doctor)
        client.post(
            reverse("plans:sign", kwargs={"pk": plan.pk}),
            {"version": 1, "username": doctor.username, "password": cast.password},
        )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_another_sites_physician_cannot_open_the_plan(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.oscar)
    assert client.get(reverse("plans:detail", kwargs={"pk": plan.pk})).status_code == 404
    assert client.get(reverse("plans:sign", kwargs={"pk": plan.pk})).status_code == 404


def test_withdrawing_needs_a_reason_and_voids_signatures(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.alice)
    client.post(
        reverse("plans:sign", kwargs={"pk": plan.pk}),
        {"version": 1, "username": "alice", "password": cast.password},
    )
    url = reverse("plans:withdraw", kwargs={"pk": plan.pk})
    assert client.post(url, {"version": 1, "reason": ""}).status_code == 400
    assert client.post(url, {"version": 1, "reason": "patient moved abroad"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.WITHDRAWN and not plan.signatures.filter(voided_at__isnull=True).exists()


def test_a_signature_needs_the_signers_own_username(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.alice)
    response = client.post(
        reverse("plans:sign", kwargs={"pk": plan.pk}),
        {"version": 1, "username": "bob", "password": cast.password},
    )
    assert response.status_code == 400 and "Username or password is not correct" in response.content.decode()
    assert not plan.signatures.exists()
