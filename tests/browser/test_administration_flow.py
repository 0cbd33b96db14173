"""One patient through both administration days, discharge and the follow-up
calendar in Chromium; a second patient's infusion stopped by a stopping rule.

Both days fall after today (the plan's day 0 is today), so the physician
documents on the session page why each is given early; day 1 runs its full
time and its amount is corrected with a reason, day 2 is stopped early with
a reason.

The first half of the pathway (request → accepted plan) is driven in
``test_pathway_part1.py``; here the patient arrives with an accepted plan
made through the services, and every step of this half is done on the pages.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db.models import F

from stromal.administrations.models import AdministrationSession, SessionStatus
from stromal.followup.models import FollowUpVisit
from stromal.products.models import LotStatus, ProductLot
from tests.administrations.factories import ready_plan, running_session
from tests.products.factories import released_lot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def _session_page(page: Any, session_pk: int) -> None:
    page.goto(f"/administrations/{session_pk}/")


def _has_run(session: AdministrationSession, minutes: int) -> None:
    """Test shortcut for the clock: the infusion started (and was thawed) ``minutes`` earlier."""
    shift = dt.timedelta(minutes=minutes)
    AdministrationSession.objects.filter(pk=session.pk).update(
        started_at=F("started_at") - shift, prepared_at=F("prepared_at") - shift
    )


def _run_day(
    nina: Any, alice: Any, luke: Any, session: AdministrationSession, lot: ProductLot, *, full_time: bool
) -> None:
    # Lab / pharmacy allocate the released unit from their worklist.
    luke.goto("/pathway/worklist/")
    luke.locator("#wl-units a").first.click()
    luke.locator("#id_lot").select_option(str(lot.pk))
    luke.get_by_role("button", name="Save").click()
    luke.wait_for_url(f"**/administrations/{session.pk}/")

    # The day is not today: the physician documents why it is given now; the nurse may not.
    _session_page(nina, session.pk)
    assert nina.locator("#off-schedule-form").count() == 0
    _session_page(alice, session.pk)
    alice.locator("#id_off_schedule_reason").fill("Bed needed on the ward; given early by agreement.")
    alice.get_by_role("button", name="Document the reason").click()
    assert "given early by agreement" in alice.locator("#off-schedule").inner_text()

    # The nurse thaws the unit, then two people check identity at the bedside,
    # scanning what is on the wristband and the bag (the page does not show them).
    _session_page(nina, session.pk)
    nina.get_by_role("button", name="Thaw / prepare now").click()
    din = lot.din + lot.din_check
    for person in (nina, alice):
        _session_page(person, session.pk)
        person.get_by_role("link", name=re.compile("Bedside identity check")).click()
        content = person.content()
        assert session.patient.mrn not in content and lot.din not in content
        person.locator("#id_patient_identifier").fill(session.patient.mrn)
        person.locator("#id_product_identifier").fill(din)
        person.get_by_role("button", name="Save").click()
        person.wait_for_url(f"**/administrations/{session.pk}/")

    # Baseline vitals and start; vitals on the schedule; the amount given.
    _session_page(nina, session.pk)
    assert nina.locator("#session-status").inner_text() == "Identity checked"
    nina.get_by_role("link", name="Baseline vitals and start").click()
    nina.locator("#id_fio2").fill("0.4")
    nina.locator("#id_peep_cmh2o").fill("5")
    nina.locator("#id_spo2_pct").fill("94")
    nina.locator("#id_heart_rate_bpm").fill("92")
    nina.get_by_role("button", name="Save").click()
    # Blood pressure, temperature and respiratory rate are part of every baseline.
    assert nina.locator("#id_systolic_bp_mmhg-error").count() == 1
    nina.locator("#id_systolic_bp_mmhg").fill("118")
    nina.locator("#id_diastolic_bp_mmhg").fill("72")
    nina.locator("#id_respiratory_rate_per_min").fill("22")
    nina.locator("#id_temperature_c").fill("37.4")
    nina.get_by_role("button", name="Save").click()
    assert nina.locator("#session-status").inner_text() == "Running"
    baseline = nina.locator("#baseline").inner_text()
    assert "Systolic blood pressure (mmHg)" in baseline and "37.4" in baseline
    for minute in ("0", "15"):
        if minute == "15":
            _has_run(session, 15)  # a time point is recorded once it is reached (issue #8)
        nina.get_by_role("link", name="Enter vitals").click()
        nina.get_by_role("link", name=minute, exact=True).click()
        nina.locator("#id_spo2_pct").fill("95")
        nina.locator("#id_heart_rate_bpm").fill("88")
        nina.get_by_role("button", name="Save").click()
    vitals = nina.locator("#vitals").inner_text()
    assert "Heart rate (/min)" in vitals and "heart_rate_bpm" not in vitals
    if full_time:
        _has_run(session, 70)
    nina.get_by_role("link", name="Finish: amount given").click()
    nina.locator("#id_volume_given_ml").fill("50")
    nina.locator("#id_cells_given").fill("80000000")
    nina.get_by_role("button", name="Save").click()
    if full_time:
        assert nina.locator("#session-status").inner_text() == "Completed"
        # A change to the amount given needs a reason, shown in the session's history.
        nina.get_by_role("link", name="Correct the amount given").click()
        nina.locator("#id_volume_given_ml").fill("48")
        nina.locator("#id_reason").fill("Pump log: 48 mL ran.")
        nina.get_by_role("button", name="Save").click()
        assert "Pump log: 48 mL ran." in nina.locator("table.history").inner_text()
        return
    # Shorter than the protocol's 60 min: only "stopped early", with the reason.
    assert "minimum is 60 min" in nina.locator("#id_early_stop_reason-error").inner_text()
    nina.locator("#id_early_stop_reason").fill("Patient asked to stop; line discomfort.")
    nina.get_by_role("button", name="Save").click()
    assert nina.locator("#session-status").inner_text().startswith("Stopped early")
    assert "line discomfort" in nina.locator("#stop-banner").inner_text()


def test_both_administration_days_discharge_and_follow_up_calendar(open_page: Any, cast: Any) -> None:
    plan = ready_plan(cast, mrn="BR-0002")
    lots = [released_lot(cast.luke), released_lot(cast.luke)]
    nina = open_page(cast.nina, cast.password)
    alice = open_page(cast.alice, cast.password)
    luke = open_page(cast.luke, cast.password)

    # The nurse schedules the administration days from the patient page.
    nina.goto(f"/pathway/patients/{plan.patient_id}/")
    nina.get_by_role("button", name="Schedule the administration days").click()
    sessions = list(AdministrationSession.objects.filter(plan=plan).order_by("sequence"))
    assert len(sessions) == 2

    for session, lot, full_time in zip(sessions, lots, (True, False), strict=True):
        _run_day(nina, alice, luke, session, lot, full_time=full_time)
    assert ProductLot.objects.filter(status=LotStatus.ADMINISTERED).count() == 2

    # The timeline now asks the physician to discharge; discharge generates the calendar.
    _session_page(alice, sessions[1].pk)
    alice.get_by_role("link", name="Back to the patient").click()
    alice.wait_for_url(f"**/pathway/patients/{plan.patient_id}/")
    assert "Discharge examination and summary" in alice.locator("#next-action").inner_text()
    alice.locator("#next-action").get_by_role("link", name="open").click()
    alice.get_by_label("Discharge examination").fill("Chest clear, SpO2 96 % on air.")
    alice.get_by_label("Discharge summary").fill("Two UC-MSC infusions without events.")
    alice.get_by_role("button", name="Discharge and schedule follow-up").click()
    alice.wait_for_url(f"**/followup/patient/{plan.patient_id}/")
    calendar = alice.locator("#followup-calendar").inner_text()
    for visit in ("Day 28", "Month 3", "Month 6", "Year 1", "Year 5"):
        assert visit in calendar
    assert FollowUpVisit.objects.filter(plan=plan).count() == 8

    # The patient page shows the follow-up as the next step.
    nina.goto(f"/pathway/patients/{plan.patient_id}/")
    assert "Follow-up visit Day 28" in nina.locator("#next-action").inner_text()


def test_a_stopping_rule_hit_stops_a_second_patients_infusion(open_page: Any, cast: Any) -> None:
    session = running_session(cast, ready_plan(cast, mrn="BR-0003"))
    nina = open_page(cast.nina, cast.password)
    _session_page(nina, session.pk)
    nina.get_by_role("link", name="Enter vitals").click()
    nina.locator("#id_spo2_pct").fill("90")
    nina.locator("#id_urticaria").select_option("true")
    nina.locator("#id_new_bronchospasm").select_option("true")
    nina.get_by_role("button", name="Save").click()
    banner = nina.locator("#stop-banner").inner_text()
    assert "awaiting a physician" in banner and "transfusion" in banner

    # The nurse may not confirm; the physician does, from the worklist.
    assert nina.get_by_role("button", name="Confirm the stop").count() == 0
    alice = open_page(cast.alice, cast.password)
    alice.locator("#wl-stops a").first.click()
    alice.locator("#id_note").fill("Antihistamine given; hives settled.")
    alice.get_by_role("button", name="Confirm the stop").click()
    assert "confirmed by Dr Alice Adams" in alice.locator("#stop-banner").inner_text()
    assert "hives settled" in alice.locator("#stop-note").inner_text()
    session.refresh_from_db()
    assert (
        session.status == SessionStatus.STOPPED
        and session.adverse_events.filter(from_stopping_rule=True).exists()
    )
