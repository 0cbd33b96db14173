"""Pages show numbers with their units and codes as words (``stromal.display`` applied)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.pathway.factories import make_check, make_plan

pytestmark = pytest.mark.django_db


def test_the_plan_shows_the_dose_in_cells_with_its_unit_and_the_arm_by_what_it_gives(
    client: Any, cast: Any
) -> None:
    plan = make_plan(cast)  # 80 kg x 1e6 cells/kg
    client.force_login(cast.alice)
    page = client.get(reverse("plans:detail", kwargs={"pk": plan.pk})).content.decode()
    assert '<td id="total-cells">8.0 × 10⁷ cells' in page
    assert "1.0 × 10⁶ cells/kg × 80 kg (actual body weight)" in page
    assert "UC-MSC (umbilical cord), intravenous" in page and "sex Female" in page
    assert "80000000" not in page and "ucmsc_iv" not in page


def test_the_eligibility_page_shows_yes_and_no_not_python_booleans(client: Any, cast: Any) -> None:
    check = make_check(cast)
    client.force_login(cast.alice)
    page = client.get(reverse("plans:eligibility", kwargs={"pk": check.pk})).content.decode()
    assert "<td>yes</td>" in page and "<td>no</td>" in page
    assert "True" not in page and "False" not in page


def test_the_protocol_page_shows_doses_and_codes_as_a_clinician_reads_them(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.mona)
    url = reverse("protocols:detail", kwargs={"pk": plan.protocol_version_id})
    page = client.get(url).content.decode()
    assert "1.0 × 10⁶ cells/kg (actual body weight)" in page and "START trial rules" in page
    assert "ucmsc_iv" not in page and "uc_msc" not in page and "== True" not in page


def test_the_patient_page_names_the_plan_arm_not_its_code(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.nina)
    page = client.get(reverse("pathway:patient", kwargs={"pk": plan.patient_id})).content.decode()
    assert "UC-MSC (umbilical cord), intravenous" in page and "ucmsc_iv" not in page
    assert "165 cm" in page


def test_an_administration_shows_vitals_and_the_cells_given_in_words_and_units(
    client: Any, cast: Any
) -> None:
    from stromal.administrations.services import session_record_given, vitals_record
    from tests.administrations.factories import running_session

    session = running_session(cast)
    vitals_record(session=session, user=cast.nina, values={"heart_rate_bpm": 96.0, "spo2_pct": 94.0})
    session.refresh_from_db()
    session = session_record_given(
        session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=80000000.0
    )
    client.force_login(cast.nina)
    page = client.get(reverse("administrations:detail", kwargs={"pk": session.pk})).content.decode()
    assert '<th scope="col">Heart rate (/min)</th>' in page and "<td>96</td>" in page
    assert "heart_rate_bpm=" not in page and "96.0" not in page
    assert "Given: 50 mL, 8.0 × 10⁷ cells" in page and "80000000" not in page
    assert "route intravenous" in page
