"""A trial run through the worker: it completes via ``stromal worker --burst``, its summary.json is
the CLI's for the same seed, its progress counts chunks, and a cancelled run stops and keeps no files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from stromal.cli import main as stromal_main
from stromal.insilico import services
from stromal.insilico.models import RunStatus, TrialRun
from tests.insilico.conftest import TINY_TOML

pytestmark = pytest.mark.django_db


def _without_timing(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "timing"}


# The worker closes a connection found inside a transaction (PostgreSQL): run it outside one.
@pytest.mark.django_db(transaction=True)
def test_a_queued_run_completes_through_stromal_worker_burst_and_matches_the_cli(
    cast: Any, tmp_path: Path
) -> None:
    client = Client()
    client.force_login(cast.ivan)
    response = client.post("/insilico/trials/new/", {"design": "toml", "config_toml": TINY_TOML})
    run = TrialRun.objects.get()
    assert response["Location"] == f"/insilico/trials/{run.pk}/"
    assert run.status == RunStatus.QUEUED and run.chunks_total == 2 and run.seed == 7

    assert stromal_main(["worker", "--burst"]) == 0

    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert (run.chunks_done, run.chunks_total) == (2, 2)
    assert run.model_version and run.calibration is not None and run.calibration["used"] is True
    web = client.get(f"/insilico/trials/{run.pk}/?format=json")
    assert web.status_code == 200 and web["Content-Type"] == "application/json"
    web_summary = json.loads(b"".join(web.streaming_content))

    config = tmp_path / "trial.toml"
    config.write_text(TINY_TOML, encoding="utf-8")
    assert stromal_main(["trial", "--config", str(config), "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    cli_summary = json.loads((tmp_path / "cli" / "summary.json").read_text(encoding="utf-8"))
    assert _without_timing(web_summary) == _without_timing(cli_summary)
    assert web_summary["model_version"] == run.model_version and web_summary["seed"] == 7

    assert run.analyses is not None and run.analyses["reference"] == "control"
    comparison = run.analyses["comparisons"][0]
    assert comparison["arm"] == "msc_iv" and comparison["hazard_ratio_cox"]["value"] is not None
    assert comparison["paired_risk_difference_28d"]["n_pairs"] == 24
    page = client.get(f"/insilico/trials/{run.pk}/").content.decode()
    assert 'id="trial-analyses"' in page and 'id="trial-boundaries"' in page
    assert 'id="trial-report"' in page and 'sandbox="allow-scripts"' in page
    assert "2 of 2" in page and run.model_version in page
    for name in services.DOWNLOADS:
        download = client.get(f"/insilico/trials/{run.pk}/files/{name}")
        assert download.status_code == 200 and b"".join(download.streaming_content)
    import pandas as pd

    outcomes = pd.read_parquet(services.run_dir(run) / "outcomes.parquet")
    assert set(outcomes["arm"]) == {"control", "msc_iv"} and outcomes["assigned"].sum() == 24


def test_the_report_frame_runs_its_scripts_in_a_sandbox_that_reaches_nothing(cast: Any) -> None:
    config = services.trial_config_from_toml(TINY_TOML)
    run = services.trial_run_request(user=cast.ivan, config=config, source="toml", enqueue=False)
    services.trial_run_execute(run_id=run.pk)
    client = Client()
    client.force_login(cast.ivan)
    response = client.get(f"/insilico/trials/{run.pk}/report/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "sandbox allow-scripts" in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy and "connect-src 'none'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_a_queued_run_whose_cancel_flag_is_set_never_starts(cast: Any) -> None:
    config = services.trial_config_from_toml(TINY_TOML)
    run = services.trial_run_request(user=cast.ivan, config=config, source="toml", enqueue=False)
    TrialRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    run = services.trial_run_execute(run_id=run.pk)
    assert run.status == RunStatus.CANCELLED and run.chunks_done == 0
    assert not services.run_dir(run).exists()


def test_cancelling_a_queued_run_on_the_page_cancels_it_at_once(cast: Any) -> None:
    config = services.trial_config_from_toml(TINY_TOML)
    run = services.trial_run_request(user=cast.ivan, config=config, source="toml", enqueue=False)
    client = Client()
    client.force_login(cast.ivan)
    response = client.post(f"/insilico/trials/{run.pk}/cancel/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.cancel_requested
    assert run.error == "Cancelled by ivan after 0 of 2 chunks."
    again = client.post(f"/insilico/trials/{run.pk}/cancel/", follow=True)
    assert "has already finished (cancelled)" in again.content.decode()


def test_a_running_run_whose_cancel_flag_is_set_stops_at_the_end_of_a_chunk(cast: Any) -> None:
    config = services.trial_config_from_toml(TINY_TOML)
    run = services.trial_run_request(user=cast.ivan, config=config, source="toml", enqueue=False)
    from stromal.model import run_trial

    calls: list[int] = []

    def cancel_during_first_chunk(*args: Any, **kwargs: Any) -> Any:
        original = kwargs["on_chunk"]

        def on_chunk(chunk: Any) -> None:
            calls.append(chunk.index)
            TrialRun.objects.filter(pk=run.pk).update(cancel_requested=True)
            original(chunk)

        return run_trial(*args, **{**kwargs, "on_chunk": on_chunk})

    import stromal.model as model

    saved = model.run_trial
    model.run_trial = cancel_during_first_chunk  # type: ignore[assignment]
    try:
        finished = services.trial_run_execute(run_id=run.pk)
    finally:
        model.run_trial = saved  # type: ignore[assignment]
    assert calls == [0]
    assert finished.status == RunStatus.CANCELLED and finished.chunks_done == 1
    assert not services.run_dir(finished).exists()
