"""The registry against the model on the analytics pages: observed/expected 90-day mortality with its
exact interval, calibration by predicted-risk group, the patients left out counted by reason, and the
page's permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from stromal.cli import main as stromal_main
from stromal.insilico.models import RegistryCheck, RunStatus
from stromal.insilico.registry_stats import calibration_groups, observed_expected
from tests.outcomes.factories import TODAY, Course, make_cohort


def test_observed_over_expected_has_the_exact_poisson_interval() -> None:
    oe = observed_expected([True] * 10 + [False] * 30, [0.125] * 40)
    assert (oe.observed, oe.expected, oe.ratio) == (10, 5.0, 2.0)
    # Exact Poisson 95 % limits for 10 events: 4.7954 and 18.3904 (Garwood 1936).
    assert oe.ci95[0] == pytest.approx(4.7954 / 5, abs=1e-4)
    assert oe.ci95[1] == pytest.approx(18.3904 / 5, abs=1e-4)
    assert observed_expected([], []).ratio is None


def test_calibration_groups_are_risk_ordered_deciles_with_exact_intervals() -> None:
    risk = [i / 20 for i in range(20)]
    died = [i >= 10 for i in range(20)]
    groups = calibration_groups(died, risk)
    assert [g.n for g in groups] == [2] * 10
    assert [g.observed for g in groups] == [0.0] * 5 + [1.0] * 5
    assert groups[0].predicted == pytest.approx(0.025)
    assert groups[0].ci95[0] == 0.0 and groups[0].ci95[1] == pytest.approx(0.8419, abs=1e-4)


# The worker closes a connection found inside a transaction (PostgreSQL): run it outside one.
@pytest.mark.django_db(transaction=True)
def test_the_cohort_is_compared_with_the_model_on_the_worker_and_shows_o_over_e(cast: Any) -> None:
    old = TODAY.replace(year=TODAY.year - 1)
    make_cohort(
        cast,
        [
            Course("R-1", old, died_day=40),
            Course("R-2", old, last_contact_day=200),
            Course("R-3", old, last_contact_day=150),
            Course("R-4", old, arm=None, last_contact_day=150),  # no plan: nothing to condition on
            # Alive and followed for less than 90 days: the outcome is not known yet.
            Course("R-5", TODAY - dt.timedelta(days=30), discharge_day=None),
        ],
    )
    ivan = Client()
    ivan.force_login(cast.ivan)
    page = ivan.get("/insilico/registry/")
    assert page.status_code == 200 and "Compare this cohort with the model" in page.content.decode()
    assert ivan.post("/insilico/registry/").status_code == 302
    check = RegistryCheck.objects.get()
    assert ivan.get(f"/insilico/registry/{check.pk}/status.json").json() == {
        "status": "queued",
        "finished": False,
    }

    assert stromal_main(["worker", "--burst"]) == 0

    check.refresh_from_db()
    assert check.status == RunStatus.DONE, check.error
    result = check.result
    assert result is not None and result["n_cohort"] == 5 and result["n_included"] == 3
    assert result["observed"] == 1 and 0 < result["expected"] < 3
    assert result["left_out"] == {
        "no plan with a closed Day-1 examination (P/F, weight and sex)": 1,
        "alive with fewer than 90 days of follow-up": 1,
    }
    low, high = result["ci95"]
    assert low < result["ratio"] < high
    html = ivan.get("/insilico/registry/").content.decode()
    assert 'id="registry-oe"' in html and 'id="registry-calibration"' in html and check.model_version in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["alice", "nina", "cora", "luke", "mona", "ivan", "ada", "oscar", "anonymous"]
)
def test_only_analytics_readers_see_and_ask_for_the_comparison(cast: Any, who: str) -> None:
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    north = RegistryCheck.objects.create(requested_by=cast.ivan, site_ids=[cast.ivan.site_id], filters={})
    allowed = who in {"mona", "ivan"}
    expected_get = 302 if who == "anonymous" else 200 if allowed else 403
    assert client.get("/insilico/registry/").status_code == expected_get
    assert client.post("/insilico/registry/").status_code == (302 if who == "anonymous" or allowed else 403)
    status = client.get(f"/insilico/registry/{north.pk}/status.json").status_code
    assert status == (302 if who == "anonymous" else 200 if allowed else 403)
    assert RegistryCheck.objects.count() == (2 if allowed else 1)


@pytest.mark.django_db
def test_another_sites_check_does_not_exist_for_a_reader(cast: Any, other_site: Any) -> None:
    from stromal.accounts.models import User

    sven = User.objects.create_user(
        username="sven", password="x", role="investigator", site=other_site, printed_name="Sven"
    )
    north = RegistryCheck.objects.create(requested_by=cast.ivan, site_ids=[cast.ivan.site_id], filters={})
    client = Client()
    client.force_login(sven)
    assert client.get(f"/insilico/registry/{north.pk}/status.json").status_code == 404
