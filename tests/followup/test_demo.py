"""The demo's follow-up: five years of visits for treated patients, with a death, missed visits
with reasons, values below the LLN and instruments not done with reasons (issue #9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from stromal.administrations.models import AdverseEvent
from stromal.demo import load_demo
from stromal.demo.followup import LONG_TERM
from stromal.followup.models import FollowUpVisit, InstrumentNotDone, InstrumentResponse, VisitStatus
from stromal.followup.selectors import death_of, outcome_series, visit_instruments
from stromal.outcomes.cohort import CohortFilter, cohort_build
from stromal.outcomes.scope import Scope
from stromal.patients.models import Patient
from stromal.plans.models import TreatmentPlan

pytestmark = pytest.mark.django_db


def test_the_demo_follows_treated_patients_to_five_years(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    load_demo()
    long_term = {n: Patient.objects.get(mrn=f"DEMO-{n:04d}") for n, *_ in LONG_TERM}
    alive, died, missed = long_term[105], long_term[106], long_term[107]

    series = outcome_series(alive)
    assert [r.visit_code for r in series.rows] == ["d28", "m3", "m6", "y1", "y2", "y3", "y4", "y5"]
    assert all(r.status == VisitStatus.COMPLETED for r in series.rows)
    fvc = [r.fvc.percent_predicted for r in series.rows if r.fvc is not None]
    assert len(fvc) == 7 and fvc[-1] > fvc[0]  # recovers from month 3 to year 5

    death = death_of(patient_id=died.pk)
    assert death is not None and death.visit_name == "Year 3"
    statuses = dict(FollowUpVisit.objects.filter(patient=died).values_list("code", "status"))
    assert statuses["y4"] == statuses["y5"] == VisitStatus.NOT_DUE and statuses["y3"] == VisitStatus.COMPLETED

    reasons = FollowUpVisit.objects.filter(patient=missed, status=VisitStatus.MISSED).values_list(
        "notes", flat=True
    )
    assert len(reasons) == 2 and all(r.startswith("Synthetic") for r in reasons)
    rows = outcome_series(missed).rows
    assert any(r.dlco is not None and r.dlco.below_lln for r in rows)
    assert any(r.six_minute_walk is not None and r.six_minute_walk.below_lln for r in rows)
    assert AdverseEvent.objects.filter(followup_visit__patient=missed, ctcae_grade=2).exists()

    assert InstrumentNotDone.objects.filter(visit__patient__in=long_term.values()).count() >= 3
    for visit in FollowUpVisit.objects.filter(status=VisitStatus.COMPLETED, patient__synthetic=True):
        assert not visit_instruments(visit=visit).missing(), visit
    spirometry = InstrumentResponse.objects.filter(instrument_code="spirometry").first()
    assert spirometry is not None and spirometry.scoring_name == "gli_global_2022"
    assert spirometry.scoring_version.startswith("pyspiro ")


def test_every_treated_demo_course_is_enrolled_before_its_first_dose(settings: Any, tmp_path: Any) -> None:
    """The Day-1 examination (the registry's day 0) comes before the doses, so the analytics count
    each course from its enrolment, not from the day the demo was loaded."""
    settings.VAR_DIR = tmp_path
    load_demo()
    cohort = cohort_build(scope=Scope(None), filters=CohortFilter())
    starts = dict(TreatmentPlan.objects.filter(start_date__isnull=False).values_list("pk", "start_date"))
    treated = [r for r in cohort.rows if r.plan_id in starts]
    assert treated and all(starts[r.plan_id] >= r.enrolment for r in treated)
    assert any((starts[r.plan_id] - r.enrolment).days <= 1 for r in treated)
    assert any((timezone.localdate() - r.enrolment).days > 4 * 365 for r in treated)
