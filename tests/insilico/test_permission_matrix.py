"""Every in-silico address for every role, anonymous, and another site's investigator: only the site's
investigator is served; a wrong role is refused (403); another site's run does not exist (404);
anonymous is sent to the sign-in page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from stromal.insilico import services
from stromal.insilico.models import TrialRun
from tests.insilico.conftest import TINY_TOML

pytestmark = pytest.mark.django_db

WHO = ["alice", "dora", "nina", "cora", "luke", "mona", "ivan", "ada", "oscar", "sven", "anonymous"]

#: (method, url template, a North run's address: another site's investigator gets 404, served status)
URLS = [
    ("get", "/insilico/trials/", False, 200),
    ("get", "/insilico/trials/new/", False, 200),
    ("get", "/insilico/trials/{run}/", True, 200),
    ("get", "/insilico/trials/{run}/?format=json", True, 200),
    ("get", "/insilico/trials/{run}/status.json", True, 200),
    ("get", "/insilico/trials/{run}/report/", True, 200),
    ("get", "/insilico/trials/{run}/files/summary.json", True, 200),
    ("get", "/insilico/trials/{run}/files/outcomes.parquet", True, 200),
    ("get", "/insilico/trials/{run}/files/report.html", True, 200),
    ("get", "/insilico/trials/{run}/files/analyses.json", True, 200),
    ("post", "/insilico/trials/{queued}/cancel/", True, 302),
]


@pytest.fixture
def runs(cast: Any) -> dict[str, int]:
    config = services.trial_config_from_toml(TINY_TOML)
    done = services.trial_run_request(user=cast.ivan, config=config, source="toml", enqueue=False)
    services.trial_run_execute(run_id=done.pk)
    queued = services.trial_run_request(user=cast.ivan, config=config, source="toml", enqueue=False)
    return {"run": done.pk, "queued": queued.pk}


@pytest.mark.parametrize("who", WHO)
def test_every_in_silico_address_serves_only_the_sites_investigator(
    cast: Any, runs: dict[str, int], south_investigator: Any, who: str
) -> None:
    client = Client()
    if who == "sven":
        client.force_login(south_investigator)
    elif who != "anonymous":
        client.force_login(getattr(cast, who))
    for method, template, north_record, ok in URLS:
        url = template.format(**runs)
        response = getattr(client, method)(url)
        if who == "anonymous":
            expected = 302
        elif who == "ivan":
            expected = ok
        elif who == "sven":
            expected = 404 if north_record else ok
        else:
            expected = 403
        assert response.status_code == expected, (who, method, url)
        if who == "anonymous":
            assert "/accounts/login/" in response["Location"]
    assert TrialRun.objects.get(pk=runs["queued"]).cancel_requested is (who == "ivan")
