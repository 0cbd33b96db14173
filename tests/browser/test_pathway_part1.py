"""One person from the public request form to a signed, accepted plan, in Chromium."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from stromal.intake.models import ConsultationRequest
from stromal.plans.models import PlanStatus, TreatmentPlan
from stromal.protocols.models import ProtocolVersion
from stromal.protocols.services import protocols_load_builtin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def _save_examination(page: Any, values: dict[str, str]) -> None:
    """Fill fields of the one examination form and press its one Save button."""
    for key, value in values.items():
        field = page.locator(f"#id_{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Save examination").click()
    page.wait_for_load_state()


# Where a radio, its label and the label's words are drawn (viewport pixels).
_GEOMETRY = """radio => {
  const label = radio.labels[0];
  const words = [...label.childNodes].filter(n => n !== radio && n.textContent.trim());
  const range = document.createRange();
  range.setStartBefore(words[0]);
  range.setEndAfter(words[words.length - 1]);
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {radio: box(radio), label: box(label), words: box(range), labels: radio.labels.length};
}"""


def _each_radio_sits_beside_its_own_label(page: Any, name: str) -> None:
    """Each radio has one label, drawn inside it, on the line of the label's words and just left of them."""
    radios = page.locator(f"input[type=radio][name={name}]")
    assert radios.count() == 3
    for i in range(radios.count()):
        g = radios.nth(i).evaluate(_GEOMETRY)
        (r_left, r_top, r_right, r_bottom), (l_left, _, l_right, _), (w_left, w_top, _, w_bottom) = (
            g["radio"],
            g["label"],
            g["words"],
        )
        assert g["labels"] == 1
        assert r_right - r_left < 40, g  # not stretched across the form
        assert l_left <= r_left and r_right <= l_right, g
        assert abs((r_top + r_bottom) / 2 - (w_top + w_bottom) / 2) < 6, g  # same line
        assert 0 <= w_left - r_right < 24, g  # the words right beside it


def test_request_to_signed_accepted_plan(open_page: Any, cast: Any) -> None:
    protocols_load_builtin()  # transactional tests start from an empty database

    # 1. The public form: no login.
    visitor = open_page()
    visitor.goto("/request/")
    visitor.get_by_label("Your name").fill("Paula Pathway")
    visitor.locator("input[value=phone]").check()
    visitor.locator("#id_phone").fill("+44 20 7946 0018")
    visitor.get_by_label("Your condition, in your words").fill("Breathless since ARDS in spring.")
    visitor.get_by_role("button", name="Send request").click()
    visitor.wait_for_url("**/request/thanks/")
    assert "received your request" in visitor.content()

    # 2. The coordinator triages and converts the request into a patient with an examination.
    cora = open_page(cast.cora, cast.password)
    cora.get_by_role("link", name="Paula Pathway").click()
    cora.locator("#id_to_status").select_option("scheduled")
    cora.get_by_role("button", name="Save").click()
    assert cora.locator("#request-status").inner_text() == "Scheduled"
    cora.get_by_label("Medical record number").fill("BR-0001")
    cora.get_by_label("Given name").fill("Paula")
    cora.get_by_label("Family name").fill("Pathway")
    cora.locator("#id_sex").select_option("female")
    cora.get_by_label("Date of birth").fill("1968-04-02")
    cora.get_by_label("Height (cm)").fill("168")
    # The examination follows the request (an appointment never lies before it was asked for).
    received = timezone.localtime(ConsultationRequest.objects.get().created_at)
    exam_at = (received + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    cora.get_by_label("Day 1 examination").fill(exam_at.strftime("%Y-%m-%dT%H:%M"))
    cora.get_by_role("button", name="Register patient and schedule examination").click()
    cora.wait_for_url(re.compile(r".*/pathway/patients/\d+/$"))
    assert "Enter the Day 1 results" in cora.locator("#next-action").inner_text()
    patient_url = cora.url

    # 3. A physician enters the Day 1 results as they arrive, checks eligibility and drafts the plan.
    dora = open_page(cast.dora, cast.password)
    dora.goto(patient_url)
    dora.get_by_role("link", name=re.compile(f"Day 1 examination {exam_at:%Y-%m-%d %H:%M} UTC")).click()
    _save_examination(dora, {"weight_kg": "70", "heart_rate_bpm": "98", "fio2": "40"})
    assert "did you mean 0.40?" in dora.content()  # a unit error, shown next to the field
    assert dora.locator("#id_weight_kg").input_value() == "70"  # the other sections keep what was typed
    _save_examination(
        dora,
        {
            "pao2_mmhg": "66",
            "fio2": "0.4",
            "support": "hfno",
            "bilateral_opacities": "true",
            "edema_explained_by_cardiac_or_fluid": "false",
        },
    )
    assert "165" in dora.locator("#assessments").inner_text()  # P/F 66/0.4
    clinic = ProtocolVersion.objects.get(code="clinic-ucmsc-iv-2day")
    dora.locator("#protocol").select_option(str(clinic.pk))
    dora.get_by_role("button", name="Check eligibility").click()
    assert dora.locator("#eligibility-result").inner_text() == "eligible"
    dora.get_by_label("Arm").select_option("ucmsc_iv")
    dora.get_by_role("button", name="Draft plan").click()
    dora.wait_for_url(re.compile(r".*/plans/\d+/$"))
    plan_url = dora.url
    assert "7.0 × 10⁷ cells" in dora.locator("#dose").inner_text()  # 1e6 cells/kg x 70 kg

    # 4. The drafter does not sign (segregation of duties); the first of two other physicians
    #    signs, re-entering username and password.
    assert dora.get_by_role("link", name="Sign the plan").count() == 0
    alice = open_page(cast.alice, cast.password)
    alice.goto(plan_url)
    alice.get_by_role("link", name="Sign the plan").click()
    assert "Dr Alice Adams" in alice.locator("#printed-name").inner_text()
    alice.get_by_label("Your username").fill("alice")
    alice.get_by_label("Re-enter your password to sign").fill(cast.password)
    alice.get_by_role("button", name="Sign: approve treatment plan").click()
    assert "Dr Alice Adams" in alice.locator("#signatures").inner_text()

    # 5. Wrong role: a nurse opening the signing page is refused.
    nina = open_page(cast.nina, cast.password)
    response = nina.goto(plan_url + "sign/")
    assert response is not None and response.status == 403
    assert "may not" in nina.content()

    # 6. The plan meeting with the patient, and the second physician's signature.
    alice.goto(plan_url)
    alice.get_by_role("link", name="Record the plan meeting").click()
    alice.get_by_label("Dr Alice Adams").check()
    alice.get_by_label("Dr Bob Brown").check()
    alice.get_by_role("button", name="Save").click()
    alice.wait_for_url(plan_url)
    bob = open_page(cast.bob, cast.password)
    bob.goto(plan_url)
    bob.get_by_role("link", name="Sign the plan").click()
    bob.get_by_label("Your username").fill("bob")
    bob.get_by_label("Re-enter your password to sign").fill(cast.password)
    bob.get_by_role("button", name="Sign: approve treatment plan").click()
    assert bob.locator("#plan-status").inner_text() == "Approved"

    # 7. The coordinator records consent and the patient's decision: accept.
    cora.goto(plan_url)
    cora.get_by_role("link", name="Record consent").click()
    cora.get_by_label("Witness name").fill("Nina Novak")
    cora.get_by_label("Information sheet version").fill("IS-2.1")
    cora.get_by_role("button", name="Save").click()
    cora.get_by_role("link", name="Record the decision").click()
    _each_radio_sits_beside_its_own_label(cora, "decision")
    cora.get_by_text("Decline (conventional treatment only)").click()  # the label's text selects its radio
    assert cora.get_by_label("Decline (conventional treatment only)").is_checked()
    cora.get_by_label("Accept").check()
    cora.get_by_role("button", name="Save").click()
    assert cora.locator("#decision").inner_text().startswith("Accept")

    plan = TreatmentPlan.objects.get()
    assert plan.status == PlanStatus.APPROVED
    assert {plan.first_signer, plan.second_signer} == {cast.alice, cast.bob}
    cora.goto(patient_url)
    assert "accepted, consent recorded" in cora.locator("#timeline").inner_text()
