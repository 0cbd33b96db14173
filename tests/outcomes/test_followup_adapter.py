"""The analytics and exports read the follow-up instruments: every entered answer and derived
score of a recorded visit, and the date of death from the vital-status instrument (issue #9 -> #10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from stromal.followup import services
from stromal.followup.models import InstrumentResponse
from stromal.outcomes.followup_adapter import deaths, instrument_values
from tests.followup.factories import DEAD, complete_with_instruments, discharged, visit_of

pytestmark = pytest.mark.django_db


def test_a_recorded_visit_gives_its_answers_and_scores_with_the_scoring_version(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    m3 = visit_of(plan, "m3")
    complete_with_instruments(m3, cast.nina, spirometry={"fev1_l": 1.9, "fvc_l": 2.3})
    values = {(v.event, v.instrument, v.item): v for v in instrument_values(patient_ids=[plan.patient.pk])}
    entered = values[("m3", "spirometry", "fvc_l")]
    assert entered.value == 2.3 and entered.unit == "L" and entered.on == m3.target_date
    derived = values[("m3", "spirometry", "fvc_percent_predicted")]
    stored = InstrumentResponse.objects.get(visit=m3, instrument_code="spirometry")
    assert derived.value == pytest.approx(stored.scores["fvc_percent_predicted"])
    assert derived.unit == "% predicted" and stored.scoring_version in derived.version
    assert values[("m3", "phq9", "total")].value == 9


def test_a_death_recorded_with_the_vital_status_instrument_is_a_death_of_the_analytics(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    y1 = visit_of(plan, "y1")
    died = timezone.localdate()  # the factories discharge today; a death before it is refused
    services.visit_record(
        visit=y1,
        user=cast.cora,
        version=y1.version,
        entries={"vital_status": services.InstrumentEntry({**DEAD, "date_of_death": died.isoformat()})},
        completed_on=timezone.localdate(),
        complete=True,
    )
    found = deaths(site_ids=None)
    assert found[plan.patient.pk].on == died and "vital status" in found[plan.patient.pk].source
    assert plan.patient.pk not in deaths(site_ids=frozenset({plan.patient.site_id + 1000}))


def test_asking_for_some_measures_gives_exactly_those_of_all_values(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    m3 = visit_of(plan, "m3")
    complete_with_instruments(m3, cast.nina)
    only = {("spirometry", "fvc_percent_predicted"), ("phq9", "total")}
    everything = list(instrument_values(patient_ids=[plan.patient.pk]))
    some = list(instrument_values(patient_ids=[plan.patient.pk], only=only))
    assert some == [v for v in everything if (v.instrument, v.item) in only]
    assert {(v.instrument, v.item) for v in some} == only
