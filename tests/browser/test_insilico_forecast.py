"""The forecast on the plan page in Chromium: a physician asks for it, the worker computes it while the
page polls, and the page then draws P/F and survival with their bands and states the effective sample
size, the model version and the research-model statement."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from stromal.examinations.services import encounter_close
from tests.pathway.factories import make_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_physician_opens_a_plan_page_with_its_forecast(open_page: Any, cast: Any) -> None:
    plan = make_plan(cast)
    encounter_close(encounter=plan.encounter, user=cast.alice, version=plan.encounter.version)
    alice = open_page(cast.alice, cast.password)
    alice.goto(f"/plans/{plan.pk}/")
    alice.get_by_role("button", name="Compute the model's forecast").click()
    alice.locator("#forecast-state").wait_for()

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    # The page polls the forecast's status and reloads itself when it is done.
    alice.locator('[data-chart="forecast-pf-figure"][data-drawn="true"]').wait_for(timeout=30_000)
    alice.locator('[data-chart="forecast-survival-figure"][data-drawn="true"]').wait_for()
    assert alice.locator("#forecast-pf .main-svg").count() >= 1
    assert "virtual patients" in alice.locator("#forecast-ess").inner_text()
    assert alice.locator("#forecast-model-version").inner_text()
    assert "research" in alice.locator("#forecast").inner_text().lower()
    assert "FVC at 1 year" in alice.locator("#forecast-one-year").inner_text()
