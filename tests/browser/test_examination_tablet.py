"""Day 1 on a tablet: the one examination form, then the worklist's next actions, to a dose shown in cells.

Set ``STROMAL_SCREENSHOTS=<folder>`` to keep a screenshot of the refused form to look at.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.utils import timezone

from stromal.examinations.models import Observation
from stromal.examinations.services import encounter_schedule
from stromal.protocols.models import ProtocolVersion
from stromal.protocols.services import protocols_load_builtin
from tests.pathway.factories import make_patient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

TABLET = {"width": 768, "height": 1024}


def _fill(page: Any, values: dict[str, str]) -> None:
    for key, value in values.items():
        field = page.locator(f"#id_{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def _worklist_line(page: Any, section: str, text: str) -> None:
    """Open the worklist and follow the line of ``section`` that names ``text``."""
    page.goto("/pathway/worklist/")
    page.locator(f"#{section}").get_by_role("link", name=re.compile(text)).click()
    page.wait_for_load_state()


def test_day_one_examination_to_the_plan_dose_through_the_worklist_on_a_tablet(
    open_page: Any, cast: Any
) -> None:
    protocols_load_builtin()  # transactional tests start from an empty database
    patient = make_patient(cast.cora, "TAB-0001", given_name="Tess", family_name="Tablet")
    encounter = encounter_schedule(patient=patient, user=cast.cora, scheduled_for=timezone.now())

    # 1. The nurse opens the examination from her worklist: one form, one Save.
    nina = open_page(cast.nina, cast.password)
    nina.set_viewport_size(TABLET)
    _worklist_line(nina, "wl-exams", "Tess Tablet")
    assert nina.get_by_role("button", name=re.compile("^Save")).count() == 1
    typed = {
        "weight_kg": "80",
        "heart_rate_bpm": "104",
        "pao2_mmhg": "70",
        "fio2": "40",  # a percentage typed into a fraction field
        "support": "hfno",
        "crp_mg_dl": "12",
        "bilateral_opacities": "true",
        "edema_explained_by_cardiac_or_fluid": "false",
    }
    _fill(nina, typed)
    nina.get_by_role("button", name="Save examination").click()
    nina.wait_for_load_state()
    folder = os.environ.get("STROMAL_SCREENSHOTS")
    if folder:  # to look at the refused form
        nina.screenshot(path=os.path.join(folder, "examination-refused.png"), full_page=True)
    # Refused next to its field; nothing saved; every other typed value still in the form.
    assert "did you mean 0.40?" in nina.locator("#fs-gas").inner_text()
    assert "Nothing was saved" in nina.locator("#form-errors").inner_text()
    assert not Observation.objects.filter(encounter=encounter).exists()
    assert nina.locator("#id_weight_kg").input_value() == "80"
    assert nina.locator("#id_crp_mg_dl").input_value() == "12"
    assert nina.locator("#id_bilateral_opacities").input_value() == "true"
    # The form posts back to its own page, so opening the address again shows the page (no blank 405).
    reopened = nina.goto(nina.url)
    assert reopened is not None and reopened.status == 200
    _fill(nina, {**typed, "fio2": "0.4"})
    nina.get_by_role("button", name="Save examination").click()
    nina.wait_for_load_state()
    assert "8 result(s) saved." in nina.content()
    assert Observation.objects.filter(encounter=encounter, current=True).count() == 8
    assert "175" in nina.locator("#assessments").inner_text()  # P/F 70/0.4

    # 2. The physician's worklist: the eligibility line opens the examination's eligibility form.
    dora = open_page(cast.dora, cast.password)
    dora.set_viewport_size(TABLET)
    _worklist_line(dora, "wl-check", "Tess Tablet")
    assert dora.url.endswith("#eligibility")
    clinic = ProtocolVersion.objects.get(code="clinic-ucmsc-iv-2day")
    dora.locator("#protocol").select_option(str(clinic.pk))
    dora.get_by_role("button", name="Check eligibility").click()
    assert dora.locator("#eligibility-result").inner_text() == "eligible"
    dora.get_by_label("Arm").select_option("ucmsc_iv")
    dora.get_by_role("button", name="Draft plan").click()
    dora.wait_for_url(re.compile(r".*/plans/\d+/$"))

    # 3. The dose reads in cells with its unit, the arm by what it gives.
    dose = dora.locator("#dose").inner_text()
    assert "8.0 × 10⁷ cells" in dose and "1.0 × 10⁶ cells/kg × 80 kg" in dose  # 1e6/kg x 80 kg
    assert "80000000" not in dora.content() and "ucmsc_iv" not in dora.locator("main").inner_text()
    assert "UC-MSC (umbilical cord), intravenous" in dora.content()

    # 4. The next action from the patient page and from the worklist opens the form where it is done.
    dora.goto(f"/pathway/patients/{patient.pk}/")
    assert "Record the plan meeting" in dora.locator("#next-action").inner_text()
    dora.locator("#next-action").get_by_role("link", name="open").click()
    dora.wait_for_url(re.compile(r".*/plans/\d+/meeting/$"))
    # The drafter does not sign it (segregation of duties); another physician's worklist offers it.
    alice = open_page(cast.alice, cast.password)
    alice.set_viewport_size(TABLET)
    _worklist_line(alice, "wl-sign", "Tess Tablet")
    alice.wait_for_url(re.compile(r".*/plans/\d+/sign/$"))
    assert alice.get_by_label("Re-enter your password to sign").count() == 1


def test_leaving_the_examination_with_typed_unsaved_values_asks_first(open_page: Any, cast: Any) -> None:
    patient = make_patient(cast.cora, "TAB-0002", given_name="Una", family_name="Saved")
    encounter = encounter_schedule(patient=patient, user=cast.cora, scheduled_for=timezone.now())
    nina = open_page(cast.nina, cast.password)
    nina.set_viewport_size(TABLET)
    nina.goto(f"/examinations/{encounter.pk}/")
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    nina.on("dialog", dismiss)
    nina.locator("#id_heart_rate_bpm").click()
    nina.keyboard.type("104")
    nina.get_by_role("link", name="Today").click()
    nina.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert nina.url.endswith(f"/examinations/{encounter.pk}/")  # stayed, the value still typed
    assert nina.locator("#id_heart_rate_bpm").input_value() == "104"
