"""A follow-up visit in Chromium: recorded with its notes, then corrected with a reason that its
history shows (the follow-up end of the Day-1-to-follow-up course; issue #8 classes 5, 7 and 9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from stromal.followup.models import FollowUpVisit
from tests.administrations.factories import ready_plan
from tests.followup.factories import _complete_course, _day0_days_ago, _discharge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visit_is_recorded_and_then_corrected_with_a_reason(open_page: Any, cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _day0_days_ago(plan, 200)
    _discharge(cast, plan)
    visit = FollowUpVisit.objects.get(plan=plan, code="d28")

    cora = open_page(cast.cora, cast.password)
    cora.goto(f"/followup/visit/{visit.pk}/")
    cora.get_by_role("link", name="Record the visit").click()
    cora.get_by_label("Visit date").fill(visit.target_date.isoformat())
    cora.get_by_label("Notes").fill("6MWD 380 m; mMRC 1.")
    # Each instrument due at Day 28 is recorded elsewhere (tests/browser/test_followup_instruments.py):
    # here each gets its reason, which completing the visit requires.
    for code in ("vital_status", "mmrc", "phq9", "gad7", "readmissions"):
        cora.locator(f"#id_{code}-not_done_reason").fill("Telephone visit only")
    cora.get_by_role("button", name="Save and complete the visit").click()
    cora.goto(f"/followup/visit/{visit.pk}/")
    assert "6MWD 380 m; mMRC 1." in cora.locator("#visit-notes").inner_text()

    # A visit date in the future is refused next to the field, nothing saved.
    cora.get_by_role("link", name="Correct the recorded visit").click()
    assert cora.get_by_label("Visit date").input_value() == visit.target_date.isoformat()
    cora.get_by_label("Visit date").fill((dt.date.today() + dt.timedelta(days=400)).isoformat())
    cora.get_by_label("Reason for the correction (kept in the visit's history)").fill("Diary says later.")
    cora.get_by_role("button", name="Save").click()
    assert "later than now" in cora.content()
    visit.refresh_from_db()
    assert visit.completed_on == visit.target_date

    corrected = visit.target_date + dt.timedelta(days=1)
    cora.get_by_label("Visit date").fill(corrected.isoformat())
    cora.get_by_label("Reason for the correction (kept in the visit's history)").fill(
        "Clinic diary: the next day."
    )
    cora.get_by_role("button", name="Save").click()
    cora.goto(f"/followup/visit/{visit.pk}/")
    history = cora.locator("table.history").inner_text()
    assert "Clinic diary: the next day." in history
    visit.refresh_from_db()
    assert visit.completed_on == corrected
