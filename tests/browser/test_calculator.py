"""The bedside ARDS calculator in Chromium at tablet size."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def test_a_physician_assesses_moderate_ards_and_sees_a_percent_fio2_refused(
    cast: Any, open_page: Any
) -> None:
    page = open_page(cast.alice, cast.password)
    page.set_viewport_size({"width": 820, "height": 1180})  # a portrait tablet
    page.goto("/calculator/")
    page.fill("#id_pao2_mmhg", "80")
    page.fill("#id_fio2", "0.5")
    page.select_option("#id_support", "invasive")
    page.fill("#id_peep_cmh2o", "10")
    page.select_option("#id_onset_within_7_days", "true")
    page.select_option("#id_bilateral_opacities", "true")
    page.select_option("#id_edema_explained_by_cardiac_or_fluid", "false")
    page.get_by_role("button", name="Assess").click()

    berlin = page.locator("#card-berlin")
    assert "meets the Berlin definition: moderate ARDS" in berlin.inner_text()
    assert "JAMA 2012" in berlin.inner_text()
    # On a tablet the results come before the long form, without scrolling.
    assert page.locator("#results").bounding_box()["y"] < 600

    page.fill("#id_fio2", "40")
    page.get_by_role("button", name="Assess").click()
    error = page.locator("#id_fio2-error").inner_text()
    assert "FiO2 40 is outside the accepted range 0.21–1" in error and "did you mean 0.40" in error
    assert page.locator("#results").count() == 0


def test_a_nurse_enters_creatinine_in_micromoles_and_sees_a_partial_sofa_labelled(
    cast: Any, open_page: Any
) -> None:
    page = open_page(cast.nina, cast.password)
    page.goto("/calculator/")
    page.fill("#id_pao2_mmhg", "56")
    page.fill("#id_fio2", "0.28")
    page.select_option("#id_support", "invasive")
    page.fill("#id_creatinine_umol_l", "176.8")
    page.get_by_role("button", name="Assess").click()
    sofa = page.locator("#card-sofa").inner_text()
    assert "partial total: 4" in sofa  # respiratory 2 at P/F exactly 200, renal 2 from 2.0 mg/dL
    assert "scored respiratory, renal" in sofa
    assert "P/F ratio\t200" in page.locator("#results table").first.inner_text()


def test_a_coordinator_is_refused_the_calculator(cast: Any, open_page: Any) -> None:
    page = open_page(cast.cora, cast.password)
    response = page.goto("/calculator/")
    assert response.status == 403
    assert "may not do this" in page.content()
