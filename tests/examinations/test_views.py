from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from stromal.examinations.models import Observation
from tests.pathway.factories import ROLES, client_for, expected, make_examination, make_patient

pytestmark = pytest.mark.django_db

EVERYONE = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client: Any, cast: Any, role: str) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    c = client_for(client, cast, role)
    pk = encounter.pk
    assert c.get(reverse("examinations:detail", kwargs={"pk": pk})).status_code == expected(role, EVERYONE)
    detail = reverse("examinations:detail", kwargs={"pk": pk})
    post = c.post(detail, {"version": encounter.version, "heart_rate_bpm": "99"})
    assert post.status_code == expected(role, ("physician", "nurse", "lab"), ok=302)
    schedule = reverse("examinations:schedule", kwargs={"patient_pk": encounter.patient_id})
    assert c.get(schedule).status_code == expected(role, ("coordinator", "physician"))
    amend = reverse("examinations:amend", kwargs={"pk": pk})
    assert c.get(amend).status_code == expected(role, ("physician",))
    close = reverse("examinations:close", kwargs={"pk": pk})
    assert c.post(close, {"version": 999}).status_code == expected(role, ("physician",), ok=302)


def test_an_out_of_range_value_is_shown_next_to_the_field_and_nothing_saved(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    before = Observation.objects.count()
    client.force_login(cast.nina)
    response = client.post(
        reverse("examinations:detail", kwargs={"pk": encounter.pk}),
        {"version": encounter.version, "fio2": "40", "pao2_mmhg": "65"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "FiO2 40 is outside the accepted range 0.21–1" in page and "did you mean 0.40?" in page
    assert Observation.objects.count() == before


def test_the_page_shows_assessments_with_the_rule_version(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    client.force_login(cast.mona)
    page = client.get(reverse("examinations:detail", kwargs={"pk": encounter.pk})).content.decode()
    assert "Rules version" in page and "<td>175</td>" in page


def test_another_sites_physician_gets_404(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    client.force_login(cast.oscar)
    assert client.get(reverse("examinations:detail", kwargs={"pk": encounter.pk})).status_code == 404


def _scheduled(cast: Any) -> Any:
    from django.utils import timezone

    from stromal.examinations.services import encounter_schedule

    return encounter_schedule(patient=make_patient(cast.cora), user=cast.cora, scheduled_for=timezone.now())


def test_the_examination_is_one_form_with_one_save_button_and_a_fieldset_per_section(
    client: Any, cast: Any
) -> None:
    from stromal.examinations.fields import SECTIONS

    encounter = _scheduled(cast)
    client.force_login(cast.nina)
    page = client.get(reverse("examinations:detail", kwargs={"pk": encounter.pk})).content.decode()
    assert page.count('id="examination-form"') == 1
    assert page.count(">Save examination</button>") == 1 and "Save vital signs" not in page
    for code, title, specs in SECTIONS:
        assert f'id="fs-{code}"' in page and f"<legend>{title}</legend>" in page
        for spec in specs:  # every field of the section list, so a new field appears without a change here
            assert f'name="{spec.name}"' in page


def test_a_refused_value_in_one_section_keeps_the_values_typed_in_the_others_and_saves_none(
    client: Any, cast: Any
) -> None:
    encounter = _scheduled(cast)
    client.force_login(cast.nina)
    response = client.post(
        reverse("examinations:detail", kwargs={"pk": encounter.pk}),
        {
            "version": encounter.version,
            "heart_rate_bpm": "98",  # vitals
            "weight_kg": "70",  # vitals
            "fio2": "40",  # gas: refused (a percentage typed as a fraction)
            "crp_mg_dl": "12.5",  # labs
            "bilateral_opacities": "true",  # imaging
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'name="heart_rate_bpm" value="98"' in page and 'name="weight_kg" value="70"' in page
    assert 'name="crp_mg_dl" value="12.5"' in page and '<option value="true" selected>' in page
    assert "did you mean 0.40?" in page and "Nothing was saved" in page
    assert not Observation.objects.filter(encounter=encounter).exists()


def test_one_save_stores_every_section_at_once(client: Any, cast: Any) -> None:
    encounter = _scheduled(cast)
    client.force_login(cast.nina)
    response = client.post(
        reverse("examinations:detail", kwargs={"pk": encounter.pk}),
        {
            "version": encounter.version,
            "heart_rate_bpm": "98",
            "pao2_mmhg": "66",
            "fio2": "0.4",
            "crp_mg_dl": "12.5",
            "bilateral_opacities": "true",
            "mmrc_grade": "2",
        },
    )
    assert response.status_code == 302
    stored = {o.key: o.value for o in Observation.objects.filter(encounter=encounter, current=True)}
    assert stored == {
        "heart_rate_bpm": 98.0,
        "pao2_mmhg": 66.0,
        "fio2": 0.4,
        "crp_mg_dl": 12.5,
        "bilateral_opacities": True,
        "mmrc_grade": 2.0,
    }


def test_a_read_only_role_sees_recorded_values_with_units_and_words_not_codes(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    client.force_login(cast.mona)
    page = client.get(reverse("examinations:detail", kwargs={"pk": encounter.pk})).content.decode()
    assert "examination-form" not in page
    assert "<td>104 /min</td>" in page and "<td>0.4 fraction</td>" in page and "<td>yes</td>" in page
    assert "True" not in page and "104.0" not in page


def test_the_amendment_is_one_form_with_a_reason(client: Any, cast: Any) -> None:
    from stromal.examinations.services import encounter_close

    encounter = make_examination(cast, make_patient(cast.cora))
    encounter = encounter_close(encounter=encounter, user=cast.alice, version=encounter.version)
    client.force_login(cast.alice)
    url = reverse("examinations:amend", kwargs={"pk": encounter.pk})
    page = client.get(url).content.decode()
    assert page.count('type="submit"') == 2 and 'id="fs-labs"' in page  # sign-out and save
    refused = client.post(url, {"version": encounter.version, "heart_rate_bpm": "110", "reason": ""})
    assert refused.status_code == 400 and 'name="heart_rate_bpm" value="110"' in refused.content.decode()
    response = client.post(
        url, {"version": encounter.version, "heart_rate_bpm": "110", "reason": "transcription error"}
    )
    assert response.status_code == 302
    assert Observation.objects.get(encounter=encounter, key="heart_rate_bpm", current=True).value == 110.0


def test_emptying_a_recorded_value_on_the_form_removes_it_and_the_audit_trail_keeps_it(
    client: Any, cast: Any
) -> None:
    from stromal.audit.models import AuditEvent

    encounter = make_examination(cast, make_patient(cast.cora))
    client.force_login(cast.nina)
    url = reverse("examinations:detail", kwargs={"pk": encounter.pk})
    page = client.get(url).content.decode()
    assert 'name="crp_mg_dl" value="12.0"' in page
    response = client.post(url, {"version": encounter.version, "heart_rate_bpm": "104", "crp_mg_dl": ""})
    assert response.status_code == 302
    current = {o.key for o in Observation.objects.filter(encounter=encounter, current=True)}
    assert "crp_mg_dl" not in current and {"heart_rate_bpm", "weight_kg"} <= current  # weight: not posted
    assert Observation.objects.filter(encounter=encounter, key="crp_mg_dl", current=False).exists()
    event = AuditEvent.objects.filter(action="results").latest("at")
    assert event.changes["crp_mg_dl"] == [12.0, None]
