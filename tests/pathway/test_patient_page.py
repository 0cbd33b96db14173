"""The patient page reads a fixed number of queries, whatever the length of the course."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stromal.patients.services import related_person_add
from tests.administrations.factories import allocated_session, ready_plan
from tests.pathway.factories import make_patient, make_plan

pytestmark = pytest.mark.django_db


def _queries(client: Any, patient_id: int) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("pathway:patient", args=[patient_id]))
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_the_patient_page_costs_the_same_queries_for_a_short_and_a_long_course(
    client: Any, cast: Any
) -> None:
    short = make_plan(cast, patient=make_patient(cast.cora, "MRN-SHORT"))
    long = ready_plan(cast, mrn="MRN-LONG")
    allocated_session(cast, long, sequence=1)
    for name in ("Pat Partner", "Sam Sibling", "Kim Child"):
        related_person_add(patient=long.patient, user=cast.cora, name=name, relationship="family")
    client.force_login(cast.alice)
    # The first page after sign-in also records the session's start (accounts.middleware).
    client.get(reverse("patients:list"))
    n_short, _ = _queries(client, short.patient_id)
    n_long, page = _queries(client, long.patient_id)
    assert "Administration 1" in page and "Kim Child" in page
    assert n_long == n_short <= 12
