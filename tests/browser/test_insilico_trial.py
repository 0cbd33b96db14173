"""The trial designer in Chromium: an investigator pastes a small trial, the database-backed worker
runs it while the page's progress bar polls, and the results page shows the engine's report in its
sandboxed frame (Plotly drawn from the report's own inline scripts, which only the frame may run)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.insilico.conftest import TINY_TOML

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_investigator_runs_a_small_trial_from_the_designer_and_opens_its_report(
    open_page: Any, cast: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    ivan = open_page(cast.ivan, cast.password)
    ivan.goto("/insilico/trials/new/")
    ivan.locator("#design-toml summary").click()
    ivan.get_by_label("Trial TOML").fill(TINY_TOML.replace("n_per_arm = 12", "n_per_arm = 0"))
    ivan.locator("#design-toml").get_by_role("button", name="Run the trial").click()
    assert "population.n_per_arm: must be" in ivan.locator("#id_config_toml-error").inner_text()

    ivan.get_by_label("Trial TOML").fill(TINY_TOML)
    ivan.locator("#design-toml").get_by_role("button", name="Run the trial").click()
    ivan.locator("#trial-status").wait_for()
    assert ivan.locator("#trial-state").inner_text() == "Queued"
    assert ivan.locator("#trial-chunks").inner_text() == "0 of 2"

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    ivan.locator("#trial-reload:not([hidden])").wait_for()
    assert ivan.locator("#trial-chunks").inner_text() == "2 of 2"
    ivan.locator("#trial-reload a").click()
    assert "msc_iv" in ivan.locator("#trial-arms").inner_text()
    frame = ivan.frame_locator("#trial-report")
    frame.locator(".main-svg").first.wait_for()
    assert frame.locator("h1").first.inner_text()

    ivan.get_by_role("link", name="Past runs").click()
    assert "Tiny web trial" in ivan.locator("#trial-runs").inner_text()
