"""Analytics in Chromium: an investigator builds a cohort, reads its survival and safety figures
(drawn by Plotly from the installed package), and downloads an export the worker ran."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.outcomes.factories import TODAY, Course, make_cohort
from tests.pathway.factories import START

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_investigator_builds_a_cohort_reads_survival_and_safety_and_downloads_an_export(
    open_page: Any, cast: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # A running server has loaded lifelines and SciPy long before; load them before the clock runs.
    import lifelines  # noqa: F401
    import scipy.stats  # noqa: F401

    d0 = TODAY.replace(year=2025)
    make_cohort(
        cast,
        [
            Course("B-1", d0, died_day=60, adverse=[]),
            Course("B-2", d0, last_contact_day=300),
            Course("B-3", d0, protocol_code=START, arm="bmmsc_iv", last_contact_day=100),
        ],
    )
    ivan = open_page(cast.ivan, cast.password)
    ivan.get_by_role("link", name="Analytics").click()
    assert ivan.locator("#cohort-size").inner_text() == "3"
    ivan.get_by_label("Arm", exact=True).select_option("ucmsc_iv")
    ivan.get_by_role("button", name="Apply").click()
    assert ivan.locator("#cohort-size").inner_text() == "2"

    ivan.get_by_role("link", name="Survival", exact=True).click()
    assert "arm=ucmsc_iv" in ivan.url
    ivan.locator('[data-chart="fig-km"][data-drawn="true"]').wait_for()
    assert ivan.locator('[data-chart="fig-km"] .main-svg').count() >= 1
    assert "0.5" in ivan.locator("#table-km-curve").inner_text()  # one death of two at day 60

    ivan.get_by_role("link", name="Safety", exact=True).click()
    ivan.locator('[data-chart="fig-by-grade"][data-drawn="true"]').wait_for()
    assert "Patients with adverse events, per protocol" in ivan.content()

    ivan.get_by_role("navigation", name="Analytics pages").get_by_role("link", name="Export").click()
    assert ivan.locator("#cohort-size").inner_text() == "2"
    ivan.get_by_label("SPSS .sav files with variable and value labels").check()
    ivan.get_by_role("button", name="Start the export").click()
    ivan.locator("#export-status").wait_for()
    # The database-backed worker picks the task up while the page polls its status.
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    link = ivan.locator("#export-download")
    link.wait_for(state="visible")
    # The bar's live value (the script sets the property; the attribute keeps the server's first value).
    assert ivan.locator("#export-progress").evaluate("bar => bar.value") == 1
    with ivan.expect_download() as info:
        link.click()
    archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert {"patients.csv", "patients.sav", "data_dictionary.csv"} <= set(archive.namelist())
    assert archive.read("patients.csv").decode().count("\n") == 3  # header and two patients
