"""What the bedside pages show and refuse (issue #8 classes 5, 7, 8 and 9), through the test client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stromal.administrations import services
from stromal.administrations.models import AdverseEvent, SessionStatus
from tests.administrations.factories import allocated_session, ready_plan, running_session

pytestmark = pytest.mark.django_db


def _login(cast: Any, who: str) -> Client:
    client = Client()
    client.force_login(getattr(cast, who))
    return client


@pytest.mark.parametrize("minute", ["2147483648", "-5"])
def test_a_vitals_time_point_out_of_range_gets_a_clear_message_not_a_500(cast: Any, minute: str) -> None:
    session = running_session(cast)
    response = _login(cast, "nina").post(
        reverse("administrations:vitals", args=[session.pk]), {"scheduled_minute": minute, "spo2_pct": "95"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        'id="id_scheduled_minute-error"' in page and "vitals time points (0, 15, 30, 60, 90, 120 min)" in page
    )
    assert not session.vitals.exists()


@pytest.mark.parametrize("version", ["2147483648", "-5", "99999999999999999999999"])
def test_a_record_version_out_of_range_gets_a_clear_message_not_a_500(cast: Any, version: str) -> None:
    session = running_session(cast)
    response = _login(cast, "nina").post(
        reverse("administrations:interrupt", args=[session.pk]), {"version": version, "reason": "pump"}
    )
    assert response.status_code == 400 and "version" in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.RUNNING


def test_a_unit_number_beyond_the_database_range_is_not_a_choice(cast: Any) -> None:
    plan = ready_plan(cast)
    session = services.sessions_schedule(plan=plan, user=cast.nina)[0]
    response = _login(cast, "luke").post(
        reverse("administrations:allocate", args=[session.pk]),
        {"version": session.version, "lot": "99999999999999999999999"},
    )
    assert response.status_code == 400 and 'id="id_lot-error"' in response.content.decode()


# Every form of the app, every field, fuzzed: never a server error, whoever posts.
FORM_URLS = [
    "administrations:vitals",
    "administrations:start",
    "administrations:given",
    "administrations:ae_report",
    "administrations:check",
    "administrations:interrupt",
    "administrations:resume",
    "administrations:prepare",
    "administrations:off_schedule",
    "administrations:confirm_stop",
    "administrations:allocate",
    "administrations:ae_grade",
]
FIELDS = [
    "version",
    "scheduled_minute",
    "taken_at",
    "spo2_pct",
    "heart_rate_bpm",
    "systolic_bp_mmhg",
    "diastolic_bp_mmhg",
    "temperature_c",
    "epinephrine_ug_min",
    "epinephrine_ug_kg_min",
    "vasopressor_count",
    "support",
    "urticaria",
    "volume_given_ml",
    "cells_given",
    "ended_at",
    "early_stop_reason",
    "reason",
    "note",
    "term",
    "onset_at",
    "patient_identifier",
    "product_identifier",
    "lot",
    "ctcae_grade",
    "serious",
    "seriousness_criteria",
    "relatedness",
    "outcome",
    "action_taken",
]
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "9999-12-31T23:59", "0001-01-01T00:00", "true", "nan", "\x00", "1e400", " "]),
    st.text(max_size=80),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    url=st.sampled_from(FORM_URLS),
    who=st.sampled_from(["nina", "alice", "luke", "mona"]),
    data=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8),
)
def test_fuzzed_posts_to_every_form_never_give_a_server_error(
    cast: Any, url: str, who: str, data: dict[str, str]
) -> None:
    session = _fuzz_session(cast)
    target = session.adverse_events.first() if url.startswith("administrations:ae_") else session
    assert target is not None
    response = _login(cast, who).post(reverse(url, args=[target.pk]), data)
    assert response.status_code < 500, (url, who, data)


def _fuzz_session(cast: Any) -> Any:
    from stromal.administrations.models import AdministrationSession

    existing = AdministrationSession.objects.first()  # running, or wherever earlier examples left it
    if existing is not None:
        return existing
    session = running_session(cast)
    services.adverse_event_report(session=session, user=cast.nina, term="Fever", onset_at=timezone.now())
    return session


def test_the_identity_check_page_shows_neither_the_mrn_nor_the_bag_number(cast: Any) -> None:
    session = allocated_session(cast)
    session = services.session_prepare(session=session, user=cast.nina, version=session.version)
    assert session.product is not None
    client = _login(cast, "nina")
    url = reverse("administrations:check", args=[session.pk])
    page = client.get(url).content.decode()
    assert session.patient.mrn not in page and session.product.din not in page
    response = client.post(
        url,
        {"version": session.version, "patient_identifier": "WRONG-1", "product_identifier": "G123498654321H"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert services.PATIENT_MISMATCH in page and services.PRODUCT_MISMATCH in page
    assert session.patient.mrn not in page and session.product.din not in page
    assert session.product.din_display not in page


def test_the_session_page_shows_vitals_as_a_labelled_table_with_units(cast: Any) -> None:
    session = running_session(cast)
    services.vitals_record(
        session=session,
        user=cast.nina,
        values={"heart_rate_bpm": 100, "systolic_bp_mmhg": 110, "diastolic_bp_mmhg": 70, "urticaria": True},
        scheduled_minute=15,
    )
    page = _login(cast, "mona").get(reverse("administrations:detail", args=[session.pk])).content.decode()
    assert "heart_rate_bpm=" not in page and "=100" not in page
    vitals = page[page.index('<table id="vitals">') :]
    for header in ("Minutes from start", "Heart rate (/min)", "Systolic blood pressure (mmHg)", "Events"):
        assert f'<th scope="col">{header}</th>' in vitals
    assert "<td>100</td>" in vitals and "<td>urticaria</td>" in vitals


def test_the_session_page_shows_the_baseline_with_blood_pressure_temperature_and_respiratory_rate(
    cast: Any,
) -> None:
    session = running_session(cast)
    page = _login(cast, "nina").get(reverse("administrations:detail", args=[session.pk])).content.decode()
    baseline = page[page.index('<table id="baseline">') : page.index("<h2>Vitals</h2>")]
    for header, value in (
        ("Systolic blood pressure (mmHg)", "118"),
        ("Diastolic blood pressure (mmHg)", "72"),
        ("Respiratory rate (/min)", "22"),
        ("Maximum body temperature (°C)", "37.4"),
    ):
        assert header in baseline and f"<td>{value}</td>" in baseline


def test_the_baseline_page_asks_for_blood_pressure_temperature_and_respiratory_rate(cast: Any) -> None:
    from tests.administrations.factories import checked_session

    session = checked_session(cast)
    client = _login(cast, "nina")
    url = reverse("administrations:start", args=[session.pk])
    page = client.get(url).content.decode()
    for field in ("systolic_bp_mmhg", "diastolic_bp_mmhg", "temperature_c", "respiratory_rate_per_min"):
        assert f'id="id_{field}"' in page
    response = client.post(url, {"version": session.version, "heart_rate_bpm": "90", "spo2_pct": "94"})
    assert response.status_code == 400 and 'id="id_systolic_bp_mmhg-error"' in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED


def test_the_session_page_links_back_to_the_patient(cast: Any) -> None:
    session = running_session(cast)
    page = _login(cast, "nina").get(reverse("administrations:detail", args=[session.pk])).content.decode()
    assert f'href="{reverse("pathway:patient", args=[session.patient_id])}"' in page


def test_the_physicians_stop_note_is_shown_on_the_session_page(cast: Any) -> None:
    session = running_session(cast)
    services.vitals_record(session=session, user=cast.nina, values={"urticaria": True})
    session.refresh_from_db()
    _login(cast, "alice").post(
        reverse("administrations:confirm_stop", args=[session.pk]),
        {"version": session.version, "note": "Hives settled with antihistamine."},
    )
    page = _login(cast, "nina").get(reverse("administrations:detail", args=[session.pk])).content.decode()
    note = page[page.index('id="stop-note"') :]
    assert "Hives settled with antihistamine." in note[: note.index("</p>")]


def test_vitals_taken_on_9999_12_31_are_refused_on_the_page(cast: Any) -> None:
    session = running_session(cast)
    response = _login(cast, "nina").post(
        reverse("administrations:vitals", args=[session.pk]),
        {"taken_at": "9999-12-31T23:59", "spo2_pct": "95"},
    )
    assert response.status_code == 400 and 'id="id_taken_at-error"' in response.content.decode()
    assert not session.vitals.exists()


def test_an_adverse_event_onset_of_9999_12_31_is_refused_on_the_page(cast: Any) -> None:
    session = running_session(cast)
    response = _login(cast, "nina").post(
        reverse("administrations:ae_report", args=[session.pk]),
        {"term": "Fever", "onset_at": "9999-12-31T23:59"},
    )
    assert response.status_code == 400 and 'id="id_onset_at-error"' in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_a_regrade_without_a_reason_is_refused_and_with_one_is_shown_in_the_history(cast: Any) -> None:
    session = running_session(cast)
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Chills", onset_at=timezone.now()
    )
    client = _login(cast, "alice")
    url = reverse("administrations:ae_grade", args=[event.pk])
    grade: dict[str, Any] = {"relatedness": "possible", "outcome": "recovered", "action_taken": "none"}
    assert client.post(url, {**grade, "version": event.version, "ctcae_grade": "1"}).status_code == 302
    event.refresh_from_db()
    refused = client.post(url, {**grade, "version": event.version, "ctcae_grade": "2"})
    assert refused.status_code == 400 and 'id="id_reason-error"' in refused.content.decode()
    client.post(url, {**grade, "version": event.version, "ctcae_grade": "2", "reason": "Needed treatment."})
    page = client.get(reverse("administrations:ae_detail", args=[event.pk])).content.decode()
    history = page[page.index('<h2 id="history">') :]
    assert (
        "Regraded" in history
        and "Needed treatment." in history
        and "<code>ctcae grade</code>: 1 → 2" in history
    )


def test_a_corrected_amount_and_its_reason_are_shown_in_the_sessions_history(cast: Any) -> None:
    session = running_session(cast)
    session = services.session_record_given(
        session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=8e7
    )
    client = _login(cast, "nina")
    url = reverse("administrations:given", args=[session.pk])
    assert 'id="id_reason"' in client.get(url).content.decode()
    amount = {"version": session.version, "volume_given_ml": "45", "cells_given": "72000000"}
    refused = client.post(url, amount)
    assert refused.status_code == 400 and 'id="id_reason-error"' in refused.content.decode()
    assert client.post(url, {**amount, "reason": "Pump log shows 45 mL."}).status_code == 302
    page = client.get(reverse("administrations:detail", args=[session.pk])).content.decode()
    history = page[page.index('<h2 id="history">') :]
    assert "Amount given corrected" in history and "Pump log shows 45 mL." in history


def test_a_0_minute_infusion_is_refused_on_the_page_and_closed_as_stopped_early_with_a_reason(
    cast: Any,
) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    client = _login(cast, "nina")
    url = reverse("administrations:given", args=[session.pk])
    ended = timezone.localtime(session.started_at + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    amount = {"version": session.version, "volume_given_ml": "5", "cells_given": "8000000", "ended_at": ended}
    refused = client.post(url, amount)
    assert refused.status_code == 400 and 'id="id_early_stop_reason-error"' in refused.content.decode()
    assert client.post(url, {**amount, "early_stop_reason": "Rigors; stopped."}).status_code == 302
    page = client.get(reverse("administrations:detail", args=[session.pk])).content.decode()
    assert "Stopped early" in page and "Rigors; stopped." in page


def test_a_physician_documents_an_early_dose_on_the_session_page_and_it_is_shown(cast: Any) -> None:
    plan = ready_plan(cast)
    session = services.sessions_schedule(plan=plan, user=cast.nina)[1]  # day 2: two days from today
    nurse_page = (
        _login(cast, "nina").get(reverse("administrations:detail", args=[session.pk])).content.decode()
    )
    assert "off-schedule-form" not in nurse_page
    client = _login(cast, "alice")
    page = client.get(reverse("administrations:detail", args=[session.pk])).content.decode()
    assert 'id="off-schedule-form"' in page
    response = client.post(
        reverse("administrations:off_schedule", args=[session.pk]),
        {"version": session.version, "reason": "Transfer to another hospital on day 1."},
    )
    assert response.status_code == 302
    page = client.get(reverse("administrations:detail", args=[session.pk])).content.decode()
    assert "Transfer to another hospital on day 1." in page[page.index('id="off-schedule"') :]
