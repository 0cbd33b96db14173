"""Data review in Chromium: a monitor verifies a form and raises a query, the coordinator answers it
from her worklist, the monitor closes it from his, and the investigator signs the casebook off."""

from __future__ import annotations

from typing import Any

import pytest

from stromal.monitoring.models import DataQuery, QueryStatus
from tests.pathway.factories import make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_query_runs_its_course_and_the_casebook_is_signed_off(open_page: Any, cast: Any) -> None:
    patient = make_patient(cast.cora)
    record = f"patient #{patient.pk}"

    mona = open_page(cast.mona, cast.password)
    mona.get_by_role("link", name="Data review: source-data verification and casebooks").click()
    mona.get_by_role("link", name=patient.full_name).first.click()
    mona.get_by_role("button", name=f"Verify {record}").click()
    assert "1 of 1 verified" in mona.locator("#records-h").inner_text()
    mona.locator("details summary", has_text="Raise a query").click()
    mona.get_by_label("Field (optional)").fill("height_cm")
    mona.get_by_label("Query").fill("Height 165 cm? The referral letter says 156 cm.")
    mona.get_by_role("button", name=f"Open query on {record}").click()
    query = DataQuery.objects.get()
    assert "Open (site to answer)" in mona.locator("h1").inner_text()

    cora = open_page(cast.cora, cast.password)
    answer_list = cora.locator("#wl-queries-answer")
    assert "Data queries to answer (1)" in answer_list.inner_text()
    answer_list.get_by_role("link", name=f"Query {query.pk}").click()
    cora.get_by_label("Your text").fill("Checked against the chart: 165 cm is right.")
    cora.get_by_role("button", name="Answer").click()
    assert "Answered (monitor to review)" in cora.locator("h1").inner_text()

    mona.goto("/pathway/worklist/")
    review = mona.locator("#wl-queries-review")
    review.get_by_role("link", name=f"Query {query.pk}").click()
    assert "165 cm is right" in mona.locator("ol.thread").inner_text()
    mona.get_by_label("Your text").fill("Thank you; closed.")
    mona.get_by_role("button", name="Close").click()
    assert "Closed" in mona.locator("h1").inner_text()
    query.refresh_from_db()
    assert query.status == QueryStatus.CLOSED

    ivan = open_page(cast.ivan, cast.password)
    ivan.goto(f"/monitoring/patients/{patient.pk}/")
    ivan.get_by_label("Username").fill("ivan")
    ivan.get_by_label("Password").fill(cast.password)
    ivan.get_by_role("button", name="Sign the casebook off").click()
    assert "Signed off and locked" in ivan.locator("#casebook-state").inner_text()
    assert "Ivan Ivanov" in ivan.locator("p.signature").inner_text()

    ivan.get_by_role("link", name="Printed casebook").click()
    signature = ivan.locator("#signatures tr.signature").inner_text()
    assert "Ivan Ivanov" in signature and "UTC" in signature and "Reviewed and approved" in signature
