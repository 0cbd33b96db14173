"""The visit pages: every due instrument on one page, refusals next to their field, nothing
partly saved, derived values shown after saving, corrections with a reason, the outcome table
on the patient page (issue #9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stromal.administrations.models import AdverseEvent
from stromal.followup import services
from stromal.followup.models import InstrumentResponse, VisitStatus
from stromal.submissions.middleware import TOKEN_FIELD, new_token
from tests.followup.factories import ANSWERS, DEAD, discharged, visit_of

pytestmark = pytest.mark.django_db


def _post_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def page_data(visit: Any, *, action: str = "complete", **overrides: dict[str, Any]) -> dict[str, str]:
    """The record page's POST: visit date and weight, then every due instrument's answers."""
    from stromal.followup.selectors import visit_instruments

    data = {
        "version": str(visit.version),
        "completed_on": visit.target_date.isoformat(),
        "weight_kg": "70",
        "notes": "",
        "action": action,
    }
    for slot in visit_instruments(visit=visit).open_slots():
        code = slot.instrument.code
        for item, value in overrides.get(code, ANSWERS[code]).items():
            data[f"{code}-{item}"] = _post_value(value)
    return data


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, data: dict[str, str]) -> Any:

    return client.post(url, {**data, TOKEN_FIELD: new_token()})


def test_the_record_page_shows_each_due_instrument_as_a_fieldset(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    page = _client(cast.nina).get(reverse("followup:complete", args=[visit.pk])).content.decode()
    for code in (
        "vital_status",
        "six_minute_walk",
        "spirometry",
        "dlco",
        "moca",
        "phq9",
        "rand36",
        "chest_ct",
    ):
        assert f'id="instrument-{code}"' in page
    assert 'name="weight_kg"' in page and 'name="phq9-phq9_9"' in page
    assert 'data-when-item="six_minute_walk-oxygen_used"' in page
    assert "<script>" not in page and "onclick" not in page


def test_a_bad_value_is_refused_next_to_its_field_and_nothing_is_saved(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    data = page_data(visit, spirometry={"fev1_l": 2.1, "fvc_l": 25})
    response = _post(_client(cast.nina), reverse("followup:complete", args=[visit.pk]), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_spirometry-fvc_l-error"' in page
    assert "FVC, best of acceptable manoeuvres (BTPS) 25 L is outside the accepted range 0.1–12 L" in page
    assert not InstrumentResponse.objects.filter(visit=visit).exists()


def test_a_rule_across_items_is_refused_next_to_the_field_it_names(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    walk = {**ANSWERS["six_minute_walk"], "oxygen_flow_l_min": 2}
    data = page_data(visit, six_minute_walk=walk)
    page = _post(_client(cast.nina), reverse("followup:complete", args=[visit.pk]), data).content.decode()
    assert 'id="id_six_minute_walk-oxygen_flow_l_min-error"' in page
    assert (
        "applies only when oxygen_used is no" not in page and "applies only when oxygen_used is yes" in page
    )
    assert not InstrumentResponse.objects.filter(visit=visit).exists()


def test_a_missing_instrument_blocks_completion_on_the_page_until_a_reason_is_given(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    client = _client(cast.nina)
    data = {k: v for k, v in page_data(visit).items() if not k.startswith("dlco-")}
    response = _post(client, reverse("followup:complete", args=[visit.pk]), data)
    assert response.status_code == 400
    assert 'id="instrument-dlco-error"' in response.content.decode()
    assert not InstrumentResponse.objects.filter(visit=visit).exists()
    data["dlco-not_done_reason"] = "Patient declined"
    response = _post(client, reverse("followup:complete", args=[visit.pk]), data)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED


def test_after_saving_the_visit_page_shows_the_derived_values(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    client = _client(cast.nina)
    assert _post(client, reverse("followup:complete", args=[visit.pk]), page_data(visit)).status_code == 302
    page = client.get(reverse("followup:visit", args=[visit.pk])).content.decode()
    assert 'id="derived-spirometry"' in page and "GLI Global 2022 (race-neutral)" in page
    assert 'id="derived-dlco"' in page and "below the lower limit of normal" in page
    assert 'id="derived-six_minute_walk"' in page and "Enright &amp; Sherrill 1998" in page
    assert "25 / 30 (education point 1)" in page
    assert "9 / 27 (mild)" in page


def test_saving_part_of_the_page_keeps_it_and_offers_the_rest(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    client = _client(cast.nina)
    data = {
        k: v for k, v in page_data(visit, action="save").items() if not k.startswith(("rand36-", "dlco-"))
    }
    assert _post(client, reverse("followup:complete", args=[visit.pk]), data).status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    page = client.get(reverse("followup:complete", args=[visit.pk])).content.decode()
    assert 'id="instrument-dlco"' in page and 'id="instrument-phq9"' not in page
    assert 'id="recorded-phq9"' in page


def test_a_correction_needs_a_reason_and_shows_in_the_instruments_history(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    client = _client(cast.nina)
    _post(client, reverse("followup:complete", args=[visit.pk]), page_data(visit))
    response_row = InstrumentResponse.objects.get(visit=visit, instrument_code="mmrc")
    url = reverse("followup:correct", args=[visit.pk, "mmrc"])
    form = client.get(url).content.decode()
    assert 'value="2" selected' in form
    refused = _post(client, url, {"version": "1", "mmrc-mmrc_grade": "3", "reason": ""})
    assert refused.status_code == 400 and 'id="id_reason-error"' in refused.content.decode()
    done = _post(client, url, {"version": "1", "mmrc-mmrc_grade": "3", "reason": "Misheard at the visit"})
    assert done.status_code == 302
    response_row.refresh_from_db()
    assert response_row.answers == {"mmrc_grade": 3}
    history = client.get(url).content.decode()
    assert "Misheard at the visit" in history


def test_an_unrecorded_or_unknown_instrument_has_no_correction_page(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    client = _client(cast.nina)
    assert client.get(reverse("followup:correct", args=[visit.pk, "mmrc"])).status_code == 404
    assert client.get(reverse("followup:correct", args=[visit.pk, "eq5d"])).status_code == 404


def test_another_sites_user_cannot_post_a_visit(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    response = _post(_client(cast.oscar), reverse("followup:complete", args=[visit.pk]), page_data(visit))
    assert response.status_code == 404
    assert not InstrumentResponse.objects.filter(visit=visit).exists()


def test_the_patient_page_shows_the_outcome_table_and_a_death(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    client = _client(cast.nina)
    m6 = visit_of(plan, "m6")
    _post(client, reverse("followup:complete", args=[m6.pk]), page_data(m6))
    y1 = visit_of(plan, "y1")
    died = timezone.localdate().isoformat()  # the factories discharge today
    services.visit_record(
        visit=y1,
        user=cast.cora,
        version=y1.version,
        entries={"vital_status": services.InstrumentEntry({**DEAD, "date_of_death": died})},
        completed_on=timezone.localdate(),
        complete=True,
    )
    page = client.get(reverse("pathway:patient", args=[plan.patient_id])).content.decode()
    assert 'id="outcomes-table"' in page and 'data-visit="m6"' in page
    assert "% pred" in page and "▼" in page
    assert f"Died on {died}" in page and "cause: respiratory" in page
    calendar = client.get(reverse("followup:calendar", args=[plan.patient_id])).content.decode()
    assert "not due" in calendar and "died on " + died in calendar


def test_an_adverse_event_is_reported_from_the_visit_page(cast: Any) -> None:
    visit = visit_of(discharged(cast), "m6")
    client = _client(cast.alice)
    onset = (timezone.localtime() - dt.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    response = _post(
        client,
        reverse("followup:adverse_event", args=[visit.pk]),
        {"term": "Community-acquired pneumonia", "onset_at": onset, "description": "Treated as outpatient"},
    )
    assert response.status_code == 302
    event = AdverseEvent.objects.get(followup_visit=visit)
    assert event.term == "Community-acquired pneumonia"
    page = client.get(reverse("followup:visit", args=[visit.pk])).content.decode()
    assert "Community-acquired pneumonia" in page
