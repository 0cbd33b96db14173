"""Administration pages: permission matrix over every view, and the bedside flow through the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.administrations import services
from stromal.administrations.models import AdverseEvent, SessionStatus
from tests.administrations.factories import allocated_session, ready_plan, running_session

pytestmark = pytest.mark.django_db

ALL = {"alice", "bob", "nina", "cora", "luke", "mona", "ivan", "ada"}
RUNNERS = {"alice", "bob", "nina"}
PHYSICIANS = {"alice", "bob"}

# (url name, method, roles allowed, which object the url takes)
MATRIX = [
    ("administrations:list", "get", ALL, None),
    ("administrations:ae_list", "get", ALL, None),
    ("administrations:detail", "get", ALL, "session"),
    ("administrations:ae_detail", "get", ALL, "event"),
    ("administrations:schedule", "post", RUNNERS | {"cora"}, "plan"),
    ("administrations:allocate", "get", {"luke"}, "session"),
    ("administrations:prepare", "post", RUNNERS, "session"),
    ("administrations:check", "get", RUNNERS, "session"),
    ("administrations:start", "get", RUNNERS, "session"),
    ("administrations:vitals", "get", RUNNERS, "session"),
    ("administrations:interrupt", "post", RUNNERS, "session"),
    ("administrations:resume", "post", RUNNERS, "session"),
    ("administrations:given", "get", RUNNERS, "session"),
    ("administrations:ae_report", "get", RUNNERS, "session"),
    ("administrations:confirm_stop", "post", PHYSICIANS, "session"),
    ("administrations:off_schedule", "post", PHYSICIANS, "session"),
    ("administrations:ae_grade", "get", PHYSICIANS, "event"),
]


@pytest.mark.parametrize(("name", "method", "allowed", "obj"), MATRIX, ids=[m[0] for m in MATRIX])
def test_permission_matrix(cast: Any, name: str, method: str, allowed: set[str], obj: str | None) -> None:
    session = running_session(cast)
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Fever", onset_at=timezone.now()
    )
    target = {"session": session.pk, "event": event.pk, "plan": session.plan_id}
    url = reverse(name, args=[target[obj]]) if obj else reverse(name)
    data = {"version": 999, "reason": "x", "note": ""}  # a stale version: nothing changes even when allowed

    anonymous = Client().get(url) if method == "get" else Client().post(url, data)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    for who in [*sorted(ALL), "oscar"]:
        client = Client()
        client.force_login(getattr(cast, who))
        response = client.get(url) if method == "get" else client.post(url, data)
        if who == "oscar":  # a physician of another site never sees this site's records
            expected = {404} if (obj and "alice" in allowed) else {403, 200}
            if not obj and "alice" in allowed:
                assert session.patient.mrn not in response.content.decode()
        elif who in allowed:
            expected = {200, 302, 400}
        else:
            expected = {403}
        assert response.status_code in expected, (who, response.status_code)
    session.refresh_from_db()
    assert session.status == SessionStatus.RUNNING


def _login(cast: Any, who: str) -> Client:
    client = Client()
    client.force_login(getattr(cast, who))
    return client


def test_a_mismatched_identity_check_is_shown_next_to_the_field(cast: Any) -> None:
    session = allocated_session(cast)
    session = services.session_prepare(session=session, user=cast.nina, version=session.version)
    response = _login(cast, "nina").post(
        reverse("administrations:check", args=[session.pk]),
        {"version": session.version, "patient_identifier": "WRONG-1", "product_identifier": "G123498654321H"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "MISMATCH — do not proceed" in page and 'id="id_patient_identifier-error"' in page
    session.refresh_from_db()
    assert session.first_checker is None


def test_vitals_with_a_stopping_rule_hit_stop_the_session_through_the_page(cast: Any) -> None:
    session = running_session(cast)
    client = _login(cast, "nina")
    response = client.post(
        reverse("administrations:vitals", args=[session.pk]),
        {"urticaria": "true", "new_bronchospasm": "true", "spo2_pct": "90"},
    )
    assert response.status_code == 302
    page = client.get(reverse("administrations:detail", args=[session.pk])).content.decode()
    assert "awaiting a physician" in page
    assert AdverseEvent.objects.filter(session=session, from_stopping_rule=True).exists()
    response = _login(cast, "alice").post(
        reverse("administrations:confirm_stop", args=[session.pk]),
        {"version": session.version + 1, "note": "seen"},
    )
    session.refresh_from_db()
    assert session.stop_confirmed_by == cast.alice


def test_a_percent_fio2_is_refused_next_to_the_field(cast: Any) -> None:
    session = running_session(cast)
    response = _login(cast, "nina").post(reverse("administrations:vitals", args=[session.pk]), {"fio2": "60"})
    assert response.status_code == 400
    assert 'id="id_fio2-error"' in response.content.decode()
    assert not session.vitals.exists()


def test_a_second_save_with_a_stale_version_is_refused_with_a_clear_message(cast: Any) -> None:
    session = running_session(cast)
    client = _login(cast, "nina")
    opened = session.version
    client.post(
        reverse("administrations:interrupt", args=[session.pk]), {"version": opened, "reason": "pump"}
    )
    response = client.post(
        reverse("administrations:interrupt", args=[session.pk]), {"version": opened, "reason": "again"}
    )
    assert response.status_code == 400
    assert "Someone else changed this record" in response.content.decode()


def test_the_schedule_page_refuses_a_plan_not_yet_accepted(cast: Any) -> None:
    from tests.administrations.factories import drafted_plan

    plan = drafted_plan(cast)
    response = _login(cast, "nina").post(reverse("administrations:schedule", args=[plan.pk]))
    assert response.status_code == 400
    assert "No administration without an approved plan" in response.content.decode()


def test_the_physician_grades_an_event_through_the_page(cast: Any) -> None:
    session = running_session(cast, ready_plan(cast))
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Chills", onset_at=timezone.now()
    )
    response = _login(cast, "alice").post(
        reverse("administrations:ae_grade", args=[event.pk]),
        {
            "version": event.version,
            "ctcae_grade": "2",
            "relatedness": "possible",
            "outcome": "recovered",
            "action_taken": "interrupted",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.ctcae_grade == 2 and not event.expedited_review
