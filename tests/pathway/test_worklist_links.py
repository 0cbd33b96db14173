"""Every worklist line opens, for every role, the page where its work is done."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from stromal.examinations.services import encounter_schedule
from stromal.plans.services import consent_record
from tests.administrations.factories import allocated_session, drafted_plan
from tests.pathway.factories import CAST_BY_ROLE, approve, make_examination, make_patient, make_plan
from tests.pathway.test_worklist import _requests

pytestmark = pytest.mark.django_db

ROLES = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin")

# Section -> the page its lines open (url name): where that work is done.
EXPECTED = {
    "wl-requests": "detail",  # the triage form
    "wl-exams": "detail",  # the examination form
    "wl-check": "detail",  # the examination page's eligibility form (#eligibility)
    "wl-sign": "sign",
    "wl-decide": "consent",  # consent comes before the decision
    "wl-units": "allocate",
}


def _lines(page: str) -> dict[str, list[str]]:
    sections = re.findall(r'<section class="card" id="(wl-[a-z-]+)">(.*?)</section>', page, re.S)
    return {key: re.findall(r'<li><a href="([^"]+)"', body) for key, body in sections}


def test_every_worklist_line_opens_its_work_page_for_every_role(client: Any, cast: Any, site: Any) -> None:
    _requests(site, 1)
    encounter_schedule(
        patient=make_patient(cast.cora, "MRN-EX"), user=cast.cora, scheduled_for=timezone.now()
    )
    make_examination(cast, make_patient(cast.cora, "MRN-CHECK"))
    make_plan(cast, patient=make_patient(cast.cora, "MRN-SIGN"))
    approved = approve(cast, drafted_plan(cast, patient=make_patient(cast.cora, "MRN-DECIDE")))
    assert approved.status == "approved"
    allocated_session(cast)  # leaves the second session of its plan waiting for a unit
    seen: set[str] = set()
    for role in ROLES:
        client.force_login(getattr(cast, CAST_BY_ROLE[role]))
        for key, links in _lines(client.get(reverse("pathway:worklist")).content.decode()).items():
            for link in links:
                seen.add(key)
                if key in EXPECTED:
                    assert resolve(link.split("#")[0]).url_name == EXPECTED[key], (role, key, link)
                assert client.get(link.split("#")[0]).status_code == 200, (role, key, link)
    assert set(EXPECTED) <= seen


def test_a_plan_with_consent_opens_the_decision_form(client: Any, cast: Any) -> None:
    plan = approve(cast, drafted_plan(cast, patient=make_patient(cast.cora, "MRN-D")))
    consent_record(
        plan=plan,
        user=cast.cora,
        given_by="Test Person",
        given_at=timezone.now(),
        witness_name="Wendy Witness",
        information_sheet_version="PIS v2.1",
    )
    client.force_login(cast.cora)
    links = _lines(client.get(reverse("pathway:worklist")).content.decode())["wl-decide"]
    assert [resolve(link).url_name for link in links] == ["decision"]
