"""Analytics pages: the permission matrix, the reader's site, the cohort builder's filters and refusals,
sorting and paging, figures as data and their CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from stromal.accounts.models import User
from tests.conftest import PASSWORD
from tests.outcomes.factories import TODAY, Course, make_cohort
from tests.pathway.factories import START

pytestmark = pytest.mark.django_db

ROLES = ["alice", "nina", "cora", "luke", "mona", "ivan", "ada"]
READERS = {"mona", "ivan"}
PAGES = [
    "/outcomes/",
    "/outcomes/flow/",
    "/outcomes/survival/",
    "/outcomes/trajectories/",
    "/outcomes/safety/",
    "/outcomes/survival/km.csv",
    "/outcomes/safety/per-protocol.csv",
]


def _client(cast: Any, who: str | None) -> Client:
    client = Client()
    if who:
        client.force_login(getattr(cast, who))
    return client


def _small_cohort(cast: Any) -> None:
    d0 = TODAY.replace(year=2025)
    make_cohort(
        cast,
        [
            Course("A-1", d0, died_day=40, fvc_pct=[(90, 70.0)], visits_done_until=28),
            Course(
                "A-2",
                d0,
                sex="male",
                born=d0.replace(year=1990),
                fvc_pct=[(90, 80.0)],
                berlin=(True, "severe"),
            ),
            Course(
                "A-3", d0, protocol_code=START, arm="bmmsc_iv", aetiology="major_trauma", last_contact_day=200
            ),
            Course("A-4", d0, arm=None, berlin=(False, None), aetiology=None),
        ],
    )


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("who", [*ROLES, None])
def test_permission_matrix(cast: Any, url: str, who: str | None) -> None:
    make_cohort(cast, [Course("M-1", TODAY.replace(year=2025), died_day=30)])
    response = _client(cast, who).get(url)
    if who is None:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    elif who in READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_a_reader_of_another_site_sees_none_of_this_sites_patients(cast: Any, other_site: Any) -> None:
    _small_cohort(cast)
    otto = User.objects.create_user(username="otto", password=PASSWORD, role="monitor", site=other_site)
    client = Client()
    client.force_login(otto)
    assert 'id="cohort-size">0<' in client.get("/outcomes/").content.decode()
    refused = client.get("/outcomes/", {"site": "north"})
    assert refused.status_code == 400
    assert "Site: Select a valid choice" in refused.content.decode()


def test_a_study_wide_reader_sees_every_site_and_may_choose_one(cast: Any, other_site: Any) -> None:
    _small_cohort(cast)
    make_cohort(cast, [Course("S-1", TODAY.replace(year=2025))], site=other_site)
    sam = User.objects.create_user(username="sam", password=PASSWORD, role="monitor", site=other_site)
    sam.user_permissions.add(Permission.objects.get(codename="all_sites"))
    client = Client()
    client.force_login(sam)
    assert 'id="cohort-size">5<' in client.get("/outcomes/").content.decode()
    assert 'id="cohort-size">4<' in client.get("/outcomes/", {"site": "north"}).content.decode()


def test_the_cohort_builder_filters_by_each_fact(cast: Any) -> None:
    _small_cohort(cast)
    client = _client(cast, "ivan")

    def size(**query: str) -> int:
        page = client.get("/outcomes/", query).content.decode()
        match = re.search(r'id="cohort-size">(\d+)<', page)
        assert match, page
        return int(match.group(1))

    assert size() == 4
    assert size(protocol="clinic-ucmsc-iv-2day") == 2
    assert size(arm="bmmsc_iv") == 1
    assert size(berlin="severe") == 1
    assert size(berlin="not_ards") == 1
    assert size(aetiology="major_trauma") == 1
    assert size(aetiology="not_recorded") == 1
    assert size(sex="male") == 1
    assert size(age_band="18-39") == 1
    assert size(vital_status="dead") == 1
    assert size(enrolled_from=str(TODAY), enrolled_to=str(TODAY)) == 0


def test_reversed_enrolment_dates_are_refused_next_to_the_field(cast: Any) -> None:
    response = _client(cast, "ivan").get(
        "/outcomes/flow/", {"enrolled_from": "2025-06-01", "enrolled_to": "2025-01-01"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_enrolled_to-error"' in page
    assert "Enrolled to: must not be before &#x27;enrolled from&#x27;" in page


def test_nonsense_in_the_query_is_a_refusal_not_a_server_error(cast: Any) -> None:
    client = _client(cast, "ivan")
    assert client.get("/outcomes/", {"enrolled_from": "9999-99-99"}).status_code == 400
    assert (
        client.get("/outcomes/survival/", {"by": "<script>", "km-sort": "x", "km-page": "-5"}).status_code
        == 200
    )
    assert client.get("/outcomes/nothing/km.csv").status_code == 404
    assert client.get("/outcomes/survival/nothing.csv").status_code == 404


def test_every_page_hands_its_figures_to_the_script_as_json_and_has_no_inline_script(cast: Any) -> None:
    _small_cohort(cast)
    client = _client(cast, "mona")
    for url in ("/outcomes/flow/", "/outcomes/survival/", "/outcomes/trajectories/", "/outcomes/safety/"):
        page = client.get(url).content.decode()
        figures = re.findall(r'<script id="(fig-[^"]+)" type="application/json">(.*?)</script>', page, re.S)
        assert figures, url
        for _, body in figures:
            assert set(json.loads(body)) == {"data", "layout", "config"}
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert 'type="application/json"' in tag or "src=" in tag, tag
        assert "onclick" not in page
        assert "/static/stromal/vendor/plotly.min.js" in page and "/static/stromal/charts.js" in page


def test_the_trajectories_page_shows_fvc_by_visit_with_median_and_n(cast: Any) -> None:
    _small_cohort(cast)
    page = _client(cast, "ivan").get("/outcomes/trajectories/").content.decode()
    cells = re.sub(r"\s+", "", page)
    # Both FVC values fall in the 3-month window: median 75, n 2.
    assert (
        '<td>Allpatients</td><td>m3</td><tdclass="num">90</td><tdclass="num">2</td><tdclass="num">75</td>'
        in cells
    )


def test_a_figures_data_downloads_as_csv_for_the_same_cohort(cast: Any) -> None:
    _small_cohort(cast)
    response = _client(cast, "ivan").get("/outcomes/flow/flow.csv", {"arm": "ucmsc_iv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Step", "Patients (requests)", "% of the step before", "Left at this step"]
    assert rows[3][:2] == ["Patients in the cohort", "2"]


def test_tables_sort_and_page_on_the_server(cast: Any) -> None:
    d0 = TODAY.replace(year=2025)
    make_cohort(cast, [Course(f"P-{i:02d}", d0, arm=None, administrations=0) for i in range(30)])
    client = _client(cast, "ivan")
    first = client.get("/outcomes/", {"patients-sort": "-study_id"}).content.decode()
    ids = re.findall(r"<td>(NORTH-\d{6})</td>", first)
    assert len(ids) == 25 and ids == sorted(ids, reverse=True)
    assert "Page 1 of 2 (30 rows)" in first
    second = client.get("/outcomes/", {"patients-sort": "-study_id", "patients-page": "2"}).content.decode()
    rest = re.findall(r"<td>(NORTH-\d{6})</td>", second)
    assert len(rest) == 5 and max(rest) < min(ids)
