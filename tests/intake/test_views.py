from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from stromal.intake.models import ConsultationRequest, RequestStatus
from stromal.intake.services import RATE_LIMIT_PER_HOUR
from tests.pathway.factories import ROLES, client_for, expected, make_patient

pytestmark = pytest.mark.django_db

READERS = ("coordinator", "monitor", "investigator", "admin")
FORM = {
    "full_name": "Rosa Request",
    "contact_method": "phone",
    "phone": "+44 20 7946 0000",
    "condition": "Breathless after ARDS.",
    "website": "",
}


def _request(site: Any) -> ConsultationRequest:
    return ConsultationRequest.objects.create(
        site=site, full_name="Q", contact_method="email", email="q@example.org", condition="c"
    )


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client: Any, cast: Any, site: Any, role: str) -> None:
    request = _request(site)
    c = client_for(client, cast, role)
    assert c.get(reverse("intake:public_request")).status_code == 200
    assert c.get(reverse("intake:queue")).status_code == expected(role, READERS)
    detail = reverse("intake:detail", kwargs={"pk": request.pk})
    assert c.get(detail).status_code == expected(role, READERS)
    post = c.post(detail, {"version": 1, "to_status": "contacted", "reason": "", "notes": ""})
    assert post.status_code == expected(role, ("coordinator",), ok=302)


def test_the_public_form_needs_no_login_and_confirms(client: Any, site: Any) -> None:
    response = client.post(reverse("intake:public_request"), FORM)
    assert response.status_code == 302 and response["Location"] == reverse("intake:thanks")
    assert ConsultationRequest.objects.get().status == RequestStatus.NEW
    assert "received your request" in client.get(reverse("intake:thanks")).content.decode()


def test_the_public_form_reveals_no_patient(client: Any, cast: Any, site: Any) -> None:
    make_patient(cast.cora, "SECRET-MRN", family_name="Hidden")
    _request(site)
    for url in (reverse("intake:public_request"), reverse("intake:thanks")):
        page = client.get(url).content.decode()
        assert "Hidden" not in page and "SECRET-MRN" not in page and "q@example.org" not in page
    assert client.get(reverse("intake:queue")).status_code == 302  # login first


def test_a_bot_filling_the_honeypot_sees_the_same_confirmation_and_nothing_is_saved(
    client: Any, site: Any
) -> None:
    response = client.post(reverse("intake:public_request"), {**FORM, "website": "http://spam"})
    assert response.status_code == 302
    assert not ConsultationRequest.objects.exists()


def test_the_rate_limit_shows_a_clear_message(client: Any, site: Any) -> None:
    for _ in range(RATE_LIMIT_PER_HOUR):
        client.post(reverse("intake:public_request"), FORM)
    response = client.post(reverse("intake:public_request"), FORM)
    assert response.status_code == 400
    assert "try again later" in response.content.decode()


def test_a_missing_contact_is_shown_next_to_the_field(client: Any, site: Any) -> None:
    response = client.post(reverse("intake:public_request"), {**FORM, "phone": ""})
    assert response.status_code == 400
    assert "Give the phone we should use" in response.content.decode()
    assert not ConsultationRequest.objects.exists()


def test_a_coordinator_of_another_site_gets_404(client: Any, cast: Any, other_site: Any) -> None:
    request = _request(other_site)
    client.force_login(cast.cora)
    assert client.get(reverse("intake:detail", kwargs={"pk": request.pk})).status_code == 404


def test_a_stale_triage_form_shows_the_refusal(client: Any, cast: Any, site: Any) -> None:
    request = _request(site)
    client.force_login(cast.cora)
    url = reverse("intake:detail", kwargs={"pk": request.pk})
    client.post(url, {"version": 1, "to_status": "contacted"})
    response = client.post(url, {"version": 1, "to_status": "declined", "reason": "spam"})
    assert response.status_code == 400
    assert "Someone else changed this record" in response.content.decode()


def test_the_triage_queue_shows_a_page_at_a_time_with_the_total(client: Any, cast: Any, site: Any) -> None:
    from stromal.intake.views import QUEUE_PAGE_ROWS

    for i in range(QUEUE_PAGE_ROWS + 3):
        ConsultationRequest.objects.create(
            site=site,
            full_name=f"Asker {i:03d}",
            contact_method="email",
            email=f"a{i}@example.org",
            condition="c",
        )
    client.force_login(cast.cora)
    first = client.get(reverse("intake:queue")).content.decode()
    assert f"Consultation requests ({QUEUE_PAGE_ROWS + 3})" in first
    assert "Asker 000" in first and f"Asker {QUEUE_PAGE_ROWS:03d}" not in first
    assert "?status=open&amp;page=2" in first
    second = client.get(reverse("intake:queue"), {"status": "open", "page": 2}).content.decode()
    assert f"Asker {QUEUE_PAGE_ROWS + 2:03d}" in second and "Asker 000" not in second


def test_a_page_number_out_of_range_shows_the_last_page(client: Any, cast: Any, site: Any) -> None:
    _request(site)
    client.force_login(cast.cora)
    response = client.get(reverse("intake:queue"), {"page": "99"})
    assert response.status_code == 200 and "q@example.org" in response.content.decode()
