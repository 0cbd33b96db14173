from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.followup import services
from stromal.followup.models import FollowUpVisit
from tests.administrations.factories import ready_plan
from tests.followup.factories import _complete_course, _discharge

pytestmark = pytest.mark.django_db

ALL = {"alice", "bob", "nina", "cora", "luke", "mona", "ivan", "ada"}
RECORDERS = {"alice", "bob", "nina", "cora"}

MATRIX = [
    ("followup:overdue", ALL, None),
    ("followup:calendar", ALL, "patient"),
    ("followup:discharge", {"alice", "bob"}, "plan"),
    ("followup:complete", RECORDERS, "visit"),
    ("followup:missed", RECORDERS, "visit"),
    ("followup:visit", ALL, "visit"),
    ("followup:amend", RECORDERS, "visit"),
    ("followup:correct", RECORDERS, "visit"),
    ("followup:adverse_event", {"alice", "bob", "nina"}, "visit"),
]


@pytest.mark.parametrize(("name", "allowed", "obj"), MATRIX, ids=[m[0] for m in MATRIX])
def test_permission_matrix(cast: Any, name: str, allowed: set[str], obj: str | None) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    if name != "followup:discharge":
        _discharge(cast, plan)
    visit = FollowUpVisit.objects.filter(plan=plan).first()
    target = {"patient": plan.patient_id, "plan": plan.pk, "visit": visit.pk if visit else 0}
    args: list[object] = [target[obj]] if obj else []
    if name == "followup:correct":
        assert visit is not None
        services.visit_record(
            visit=visit,
            user=cast.cora,
            version=visit.version,
            entries={"mmrc": services.InstrumentEntry({"mmrc_grade": 1})},
        )
        args.append("mmrc")
    url = reverse(name, args=args)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for who in [*sorted(ALL), "oscar"]:
        client = Client()
        client.force_login(getattr(cast, who))
        response = client.get(url)
        if who == "oscar":
            expected = {404} if (obj and "alice" in allowed) else {403, 200}
        else:
            expected = {200} if who in allowed else {403}
        assert response.status_code in expected, (who, response.status_code)
        if who == "oscar" and response.status_code == 200:
            assert plan.patient.mrn not in response.content.decode()
    # A read-only role's POST changes nothing either.
    monitor = Client()
    monitor.force_login(cast.mona)
    assert monitor.post(url, {"version": 1, "reason": "x"}).status_code in {403, 405, 200}


def test_the_calendar_shows_every_visit_with_its_window(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _discharge(cast, plan)
    client = Client()
    client.force_login(cast.nina)
    page = client.get(reverse("followup:calendar", args=[plan.patient_id])).content.decode()
    for name in ("Day 28", "Month 3", "Month 6", "Year 1", "Year 5"):
        assert name in page
    assert "Month by month" in page


def test_discharge_without_a_summary_is_refused_next_to_the_field(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    client = Client()
    client.force_login(cast.alice)
    response = client.post(
        reverse("followup:discharge", args=[plan.pk]),
        {
            "discharged_at": "2026-01-01T10:00",
            "examination_findings": "clear",
            "summary": "",
            "spo2_pct": "140",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_summary-error"' in page and 'id="id_spo2_pct-error"' in page
    assert not FollowUpVisit.objects.filter(plan=plan).exists()


def test_the_patient_page_and_worklists_carry_the_second_half_of_the_pathway(cast: Any) -> None:
    plan = ready_plan(cast)
    from stromal.administrations import services as admin_services

    sessions = admin_services.sessions_schedule(plan=plan, user=cast.nina)
    client = Client()
    client.force_login(cast.luke)
    assert "Administrations waiting for a unit" in client.get(reverse("pathway:worklist")).content.decode()
    client.force_login(cast.nina)
    page = client.get(reverse("pathway:patient", args=[plan.patient_id])).content.decode()
    assert "Allocate a released unit to administration 1" in page
    assert reverse("administrations:detail", args=[sessions[0].pk]) in page
