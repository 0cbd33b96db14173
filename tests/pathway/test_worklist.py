"""The worklist shows the head of each section with its total, and every row stays reachable."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import resolve, reverse

from stromal.intake.models import ConsultationRequest
from stromal.pathway.sections import WORKLIST_ROWS
from stromal.pathway.worklist import worklist
from stromal.plans.services import decision_record, plan_update
from tests.pathway.factories import ROLES, client_for, make_patient, make_plan

pytestmark = pytest.mark.django_db


def _requests(site: Any, n: int, status: str = "new") -> list[ConsultationRequest]:
    return [
        ConsultationRequest.objects.create(
            site=site,
            full_name=f"Requester {i:03d}",
            contact_method="email",
            email=f"r{i}@example.org",
            condition="c",
            status=status,
            decline_reason="out of scope" if status == "declined" else "",
        )
        for i in range(n)
    ]


def _section_links(page: str, key: str) -> list[str]:
    match = re.search(rf'<section class="card" id="{key}">(.*?)</section>', page, re.S)
    assert match, f"no section {key}"
    return re.findall(r'<li><a href="([^"]+)"', match.group(1))


def test_a_long_section_shows_its_head_its_total_and_a_link_to_all_of_it(
    client: Any, cast: Any, site: Any
) -> None:
    _requests(site, WORKLIST_ROWS + 5)
    client.force_login(cast.cora)
    page = client.get(reverse("pathway:worklist")).content.decode()
    assert f"Requests to triage ({WORKLIST_ROWS + 5})" in page
    assert len(_section_links(page, "wl-requests")) == WORKLIST_ROWS
    assert reverse("pathway:worklist_section", args=["wl-requests"]) in page


def test_a_short_section_is_shown_whole_without_a_more_link(client: Any, cast: Any, site: Any) -> None:
    _requests(site, 3)
    client.force_login(cast.cora)
    page = client.get(reverse("pathway:worklist")).content.decode()
    assert "Requests to triage (3)" in page and len(_section_links(page, "wl-requests")) == 3
    assert reverse("pathway:worklist_section", args=["wl-requests"]) not in page


def test_the_full_section_pages_through_every_row_once_in_order(
    client: Any, cast: Any, site: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("stromal.pathway.views.SECTION_PAGE_ROWS", 10)
    made = _requests(site, 23)
    _requests(site, 2, status="declined")  # not open: not on the worklist
    client.force_login(cast.cora)
    url = reverse("pathway:worklist_section", args=["wl-requests"])
    seen: list[str] = []
    for number in (1, 2, 3):
        page = client.get(url, {"page": number}).content.decode()
        assert "(23)" in page
        seen += _section_links(page, "wl-requests")
    assert seen == [reverse("intake:detail", args=[r.pk]) for r in made]
    assert 'rel="next"' not in client.get(url, {"page": 3}).content.decode()


def test_counts_and_rows_are_the_users_site_only(cast: Any, site: Any, other_site: Any) -> None:
    _requests(site, 2)
    _requests(other_site, 4)
    sections = {s.key: s for s in worklist(user=cast.cora).sections}
    assert sections["wl-requests"].total == 2


@pytest.mark.parametrize("role", ROLES)
def test_a_section_opens_only_for_the_roles_that_have_it(client: Any, cast: Any, role: str) -> None:
    """Expedited review is for physicians, monitors and investigators; others get 404, anonymous the login."""
    response = client_for(client, cast, role).get(reverse("pathway:worklist_section", args=["wl-expedited"]))
    allowed = ("physician", "monitor", "investigator")
    assert response.status_code == (302 if role == "anonymous" else 200 if role in allowed else 404)


def test_an_unknown_section_is_404(client: Any, cast: Any) -> None:
    client.force_login(cast.alice)
    assert client.get(reverse("pathway:worklist_section", args=["wl-nothing"])).status_code == 404


def _to_decide(cast: Any) -> set[int]:
    sections = {s.key: s for s in worklist(user=cast.cora).sections}
    section = sections.get("wl-decide")
    if section is None:
        return set()
    return {resolve(line.url).kwargs["pk"] for line in section.lines}


def test_plans_await_a_decision_until_the_latest_one_on_the_plan_as_it_stands_is_settled(cast: Any) -> None:
    undecided = make_plan(cast, patient=make_patient(cast.cora, "MRN-A"))
    deferred = make_plan(cast, patient=make_patient(cast.cora, "MRN-B"))
    decision_record(plan=deferred, user=cast.cora, decision="defer")
    declined = make_plan(cast, patient=make_patient(cast.cora, "MRN-C"))
    decision_record(plan=declined, user=cast.cora, decision="defer")
    decision_record(plan=declined, user=cast.cora, decision="decline")
    reopened = make_plan(cast, patient=make_patient(cast.cora, "MRN-D"))
    decision_record(plan=reopened, user=cast.cora, decision="decline")
    decision_record(plan=reopened, user=cast.cora, decision="defer")
    changed = make_plan(cast, patient=make_patient(cast.cora, "MRN-E"))
    decision_record(plan=changed, user=cast.cora, decision="decline")
    plan_update(plan=changed, user=cast.alice, version=changed.version, reason="dose revised", notes="new")
    assert _to_decide(cast) == {undecided.pk, deferred.pk, reopened.pk, changed.pk}


def test_the_worklist_reads_a_fixed_number_of_queries_however_long_the_lists(
    client: Any, cast: Any, site: Any, django_assert_max_num_queries: Any
) -> None:
    _requests(site, WORKLIST_ROWS * 2)
    client.force_login(cast.cora)
    # 15: the sections, the session and user, and one for the data queries awaiting this role (#11).
    with django_assert_max_num_queries(15):
        assert client.get(reverse("pathway:worklist")).status_code == 200
