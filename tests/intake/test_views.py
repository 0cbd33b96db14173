from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.accounts.zones import format_when
from stromal.audit.models import AuditEvent
from stromal.intake.client_address import parse_trusted_proxies
from stromal.intake.models import CONDITION_MAX_CHARS, ConsultationRequest, RequestStatus
from stromal.intake.services import HONEYPOT_FILLED, RATE_LIMIT_PER_HOUR
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


def test_a_filled_honeypot_is_refused_with_a_message_and_the_field_emptied(client: Any, site: Any) -> None:
    response = client.post(reverse("intake:public_request"), {**FORM, "website": "http://spam"})
    page = response.content.decode()
    assert response.status_code == 400 and HONEYPOT_FILLED in page
    assert "http://spam" not in page
    assert not ConsultationRequest.objects.exists()
    assert client.post(reverse("intake:public_request"), FORM).status_code == 302


def test_the_honeypot_cannot_be_reached_with_tab_nor_by_a_screen_reader(client: Any, site: Any) -> None:
    page = client.get(reverse("intake:public_request")).content.decode()
    hidden = re.search(r'<div class="hp" aria-hidden="true">.*?</div>', page, re.S)
    assert hidden is not None
    honeypot = re.search(r'<input[^>]*name="website"[^>]*>', hidden.group(0))
    assert honeypot is not None
    for attribute in ('tabindex="-1"', 'autocomplete="off"', 'value=""'):
        assert attribute in honeypot.group(0)
    # The rule lives in the site's stylesheet (the Content-Security-Policy allows no inline <style>).
    stylesheet = (settings.PACKAGE_DIR / "static" / "stromal" / "stromal.css").read_text()
    assert re.search(r"\.hp \{ position:absolute; left:-10000px;", stylesheet)
    assert "stromal/stromal.css" in page


def test_a_condition_of_megabytes_is_refused_next_to_the_field(client: Any, site: Any) -> None:
    response = client.post(reverse("intake:public_request"), {**FORM, "condition": "x" * 2_400_000})
    assert response.status_code == 400
    assert f"at most {CONDITION_MAX_CHARS} characters" in response.content.decode()
    assert not ConsultationRequest.objects.exists()


def _post_from(client: Any, peer: str, forwarded_for: str = "") -> int:
    extra = {"REMOTE_ADDR": peer}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return int(client.post(reverse("intake:public_request"), FORM, **extra).status_code)


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client: Any, site: Any, settings: Any) -> None:
    settings.TRUSTED_PROXIES = parse_trusted_proxies(["10.0.0.0/8"])
    for _ in range(RATE_LIMIT_PER_HOUR):
        assert _post_from(client, "10.0.0.5", "203.0.113.7") == 302
    assert _post_from(client, "10.0.0.5", "203.0.113.7") == 400
    assert _post_from(client, "10.0.0.5", "198.51.100.1") == 302  # another person behind the same proxy
    # A client cannot choose its address by writing the header itself: the hop the proxy appended counts.
    assert _post_from(client, "10.0.0.5", "198.51.100.99, 203.0.113.7") == 400


def test_an_untrusted_peer_cannot_escape_the_limit_with_a_forged_header(client: Any, site: Any) -> None:
    for i in range(RATE_LIMIT_PER_HOUR):
        assert _post_from(client, "203.0.113.7", f"192.0.2.{i}") == 302
    assert _post_from(client, "203.0.113.7", "192.0.2.200") == 400


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_from_one_address_store_exactly_the_limit(site: Any) -> None:
    """Threads with their own database connections post at once; the sender lock serialises count-and-save."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the concurrent proof needs PostgreSQL")
    barrier = threading.Barrier(20)
    answers: list[int] = []

    def post() -> None:
        barrier.wait()
        answers.append(_post_from(Client(), "203.0.113.7"))
        connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [302] * RATE_LIMIT_PER_HOUR + [400] * (20 - RATE_LIMIT_PER_HOUR)
    assert ConsultationRequest.objects.count() == RATE_LIMIT_PER_HOUR


def test_a_coordinator_reschedules_through_the_page(client: Any, cast: Any, site: Any) -> None:
    request = _request(site)
    client.force_login(cast.cora)
    url = reverse("intake:detail", kwargs={"pk": request.pk})
    first = (timezone.localtime() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    client.post(
        url, {"version": 1, "to_status": "scheduled", "scheduled_for": first.strftime("%Y-%m-%dT%H:%M")}
    )
    page = client.get(url).content.decode()
    assert "Reschedule the appointment" in page
    later = first + dt.timedelta(days=1)
    refused = client.post(
        url,
        {
            "version": 2,
            "reschedule": "",
            "new_time": later.strftime("%Y-%m-%dT%H:%M"),
            "reschedule_reason": "",
        },
    )
    assert refused.status_code == 400
    moved = client.post(
        url,
        {
            "version": 2,
            "reschedule": "",
            "new_time": later.strftime("%Y-%m-%dT%H:%M"),
            "reschedule_reason": "family cannot come on Tuesday",
        },
    )
    assert moved.status_code == 302
    request.refresh_from_db()
    assert request.scheduled_for == later
    assert AuditEvent.objects.get(action="triage:rescheduled").reason == "family cannot come on Tuesday"
    history = client.get(url).content.decode()
    moved = f"Appointment moved: {format_when(first)} → {format_when(later)}"
    assert moved in history and "family cannot come on Tuesday" in history


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


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_an_appointment_at_an_extreme_date_in_a_new_york_site_is_refused_not_a_500(
    client: Any, cast: Any, site: Any, when: str
) -> None:
    site.time_zone = "America/New_York"
    site.save()
    request = _request(site)
    client.force_login(cast.cora)
    url = reverse("intake:detail", kwargs={"pk": request.pk})
    client.post(url, {"version": 1, "to_status": "contacted"})
    response = client.post(url, {"version": 2, "to_status": "scheduled", "scheduled_for": when})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The appointment (" in page and ("365 days ahead" in page or "the request&#x27;s receipt" in page)
    request.refresh_from_db()
    assert request.status == RequestStatus.CONTACTED and request.scheduled_for is None
