"""The Day-1 laboratory section offers SI units, stored as entered and converted for the rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from stromal.examinations.fields import section_specs
from stromal.examinations.forms import examination_form
from stromal.examinations.models import Assessment
from stromal.examinations.services import current_values, encounter_schedule, observations_record
from tests.pathway.factories import make_patient


def test_each_si_unit_follows_its_conventional_field_in_the_lab_section() -> None:
    names = [spec.name for spec in section_specs("labs")]
    for conventional, si in [
        ("creatinine_mg_dl", "creatinine_umol_l"),
        ("bilirubin_mg_dl", "bilirubin_umol_l"),
        ("crp_mg_dl", "crp_mg_l"),
        ("albumin_g_dl", "albumin_g_l"),
        ("hemoglobin_g_dl", "hemoglobin_g_l"),
    ]:
        assert names.index(si) == names.index(conventional) + 1


def test_the_lab_form_refuses_creatinine_88_mg_dl_in_words_with_the_si_hint() -> None:
    form = examination_form(data={"version": "1", "creatinine_mg_dl": "88"})
    assert not form.is_valid()
    message = form.errors["creatinine_mg_dl"][0]
    assert message.startswith("Creatinine 88 mg/dL is outside the accepted range 0.1–30 mg/dL")
    assert message.endswith("did you enter µmol/L? use creatinine_umol_l")


@pytest.mark.django_db
def test_si_creatinine_is_stored_as_entered_and_scored_in_mg_dl(cast: Any) -> None:
    encounter = encounter_schedule(
        patient=make_patient(cast.cora), user=cast.cora, scheduled_for=timezone.now()
    )
    observations_record(encounter=encounter, user=cast.nina, values={"creatinine_umol_l": 176.8}, version=1)
    assert current_values(encounter) == {"creatinine_umol_l": 176.8}  # never silently changed
    results = Assessment.objects.get(encounter=encounter).results
    assert results["sofa"]["components"]["renal"] == 2
    assert results["unit_conversions"]["creatinine_umol_l"]["converted_value"] == 2.0
