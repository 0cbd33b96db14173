"""A 6-month follow-up visit in Chromium: every due instrument on one page, a refused value shown
next to its field with nothing saved, then the whole visit saved and its derived values and the
patient's outcome table updated (issue #9)."""

from __future__ import annotations

from typing import Any

import pytest

from stromal.followup.models import InstrumentResponse, VisitStatus
from tests.followup.factories import discharged, visit_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SELECTS: dict[str, str] = {
    "vital_status-vital_status": "alive",
    "vital_status-vital_status_ascertainment": "visit",
    "six_minute_walk-oxygen_used": "true",
    "mmrc-mmrc_grade": "2",
    "chest_ct-ct_fibrotic_like_changes": "true",
    "return_to_work-worked_before_illness": "true",
    "return_to_work-returned_to_work": "reduced",
    "return_to_work-usual_activity_resumed": "partly",
    **{f"phq9-phq9_{n}": "1" for n in range(1, 10)},
    **{f"gad7-gad7_{n}": "2" for n in range(1, 8)},
}
FILLS: dict[str, str] = {
    "weight_kg": "68",
    "six_minute_walk-six_minute_walk_m": "350",
    "six_minute_walk-spo2_start_pct": "96",
    "six_minute_walk-spo2_nadir_pct": "89",
    "six_minute_walk-borg_dyspnoea_end": "4",
    "six_minute_walk-borg_fatigue_end": "3",
    "six_minute_walk-oxygen_flow_l_min": "2",
    "spirometry-fev1_l": "1.9",
    "spirometry-fvc_l": "2.4",
    "dlco-dlco_ml_min_mmhg": "13.5",
    "moca-moca_score": "24",
    "moca-education_years": "11",
    "chest_ct-ct_fibrosis_extent_pct": "10",
    "readmissions-readmissions_count": "0",
    **{f"rand36-rand36_{n}": "2" for n in range(1, 37)},
}


def test_a_6_month_visit_is_recorded_with_every_due_instrument(open_page: Any, cast: Any) -> None:
    plan = discharged(cast, days_ago=200)
    visit = visit_of(plan, "m6")

    nina = open_page(cast.nina, cast.password)
    nina.goto(f"/followup/visit/{visit.pk}/")
    nina.get_by_role("link", name="Record the visit").click()
    assert nina.locator("fieldset.instrument").count() == 12

    # Branching: the oxygen flow is asked only once oxygen was used (static/stromal/branching.js).
    flow = nina.locator("#id_six_minute_walk-oxygen_flow_l_min")
    assert flow.is_hidden()
    nina.locator("#id_completed_on").fill(visit.target_date.isoformat())
    for name, value in SELECTS.items():
        nina.locator(f"#id_{name}").select_option(value)
    assert flow.is_visible()
    ct_date = nina.locator("#id_chest_ct-ct_date")
    ct_date.fill(visit.target_date.isoformat())
    for name, value in FILLS.items():
        nina.locator(f"#id_{name}").fill(value)

    # FEV1 above FVC is refused next to FEV1, naming the rule; nothing of the visit is saved.
    nina.locator("#id_spirometry-fev1_l").fill("2.6")
    nina.get_by_role("button", name="Save and complete the visit").click()
    error = nina.locator("#id_spirometry-fev1_l-error")
    assert "cannot exceed fvc_l" in error.inner_text()
    assert not InstrumentResponse.objects.filter(visit=visit).exists()

    # The page kept what was typed; correct FEV1 and save the whole visit.
    assert nina.locator("#id_moca-moca_score").input_value() == "24"
    nina.locator("#id_spirometry-fev1_l").fill("1.9")
    nina.get_by_role("button", name="Save and complete the visit").click()
    nina.wait_for_url(f"**/followup/visit/{visit.pk}/")
    assert nina.locator("#visit-status").inner_text() == "Completed"
    spirometry = nina.locator("#derived-spirometry").inner_text()
    assert "% predicted" in spirometry and "GLI Global 2022" in spirometry
    assert "below the lower limit of normal" in nina.locator("#derived-dlco").inner_text()
    assert "Enright & Sherrill 1998" in nina.locator("#derived-six_minute_walk").inner_text()
    assert "25 / 30" in nina.locator("#recorded-moca").inner_text()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED
    assert InstrumentResponse.objects.filter(visit=visit).count() == 12

    # The patient page's outcome table has the new row.
    nina.goto(f"/pathway/patients/{plan.patient_id}/")
    row = nina.locator('#outcomes-table tr[data-visit="m6"]')
    cells = row.locator("td")
    assert "2.40 L" in cells.nth(1).inner_text() and "% pred" in cells.nth(1).inner_text()
    assert "▼" in cells.nth(3).inner_text()  # DLCO below the LLN
    assert cells.nth(6).inner_text() == "25"  # MoCA with the education point
