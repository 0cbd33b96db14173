"""A patient's follow-up series for charts and tables: typed rows by visit, with % predicted and
the LLN of each reference equation, missed visits as gaps, and the death (issue #9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stromal.followup import services
from stromal.followup.models import InstrumentResponse
from stromal.followup.selectors import OutcomeRow, outcome_series
from tests.followup.factories import DEAD, discharged, entries_for, visit_of

pytestmark = pytest.mark.django_db


def _complete(visit: Any, user: Any, **overrides: Any) -> None:
    services.visit_record(
        visit=visit,
        user=user,
        version=visit.version,
        entries=entries_for(visit, **overrides),
        completed_on=visit.target_date,
        weight_kg=70.0,
        complete=True,
    )


def test_each_recorded_visit_is_a_typed_row_with_its_reference_values(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    _complete(visit_of(plan, "m3"), cast.nina, spirometry={"fev1_l": 1.9, "fvc_l": 2.3})
    services.visit_mark_missed(visit=visit_of(plan, "d28"), user=cast.cora, version=1, reason="Not reachable")
    _complete(visit_of(plan, "m6"), cast.nina, spirometry={"fev1_l": 2.5, "fvc_l": 3.1})
    series = outcome_series(plan.patient)
    assert [(r.visit_code, r.status) for r in series.rows] == [
        ("d28", "missed"),
        ("m3", "completed"),
        ("m6", "completed"),
    ]
    missed, m3, m6 = series.rows
    assert (
        isinstance(m3, OutcomeRow) and missed.fvc is None and missed.on == visit_of(plan, "d28").target_date
    )
    assert m3.fvc is not None and m6.fvc is not None
    assert m3.fvc.measured == 2.3 and m3.fvc.unit == "L" and m3.fvc.equation == "gli_global_2022"
    stored = InstrumentResponse.objects.get(
        visit__code="m3", visit__plan=plan, instrument_code="spirometry"
    ).scores
    assert m3.fvc.percent_predicted == pytest.approx(100 * 2.3 / stored["fvc_predicted"])
    assert m3.fvc.lln_percent_predicted == pytest.approx(100 * stored["fvc_lln"] / stored["fvc_predicted"])
    assert m3.fvc.below_lln is (stored["fvc_lln"] > 2.3) and m3.fvc.z == stored["fvc_z"]
    assert m6.fvc.percent_predicted > m3.fvc.percent_predicted
    assert m3.dlco is not None and m3.dlco.unit == "mL/min/mmHg" and m3.dlco.below_lln
    assert m3.six_minute_walk is not None and m3.six_minute_walk.measured == 380
    assert (m3.mmrc_grade, m3.moca_adjusted, m3.phq9_total, m3.gad7_total) == (2, 25, 9, 14)
    assert m3.rand36["physical_functioning"] == 50.0
    assert series.has_values() and series.death is None


def test_a_visit_without_a_measurement_has_none_for_it(cast: Any) -> None:
    plan = discharged(cast)
    d28 = visit_of(plan, "d28")
    _complete(d28, cast.nina)
    [row] = outcome_series(plan.patient).rows
    assert row.fvc is None and row.dlco is None and row.six_minute_walk is None and row.moca_adjusted is None
    assert row.phq9_total == 9 and row.rand36 == {}


def test_the_series_carries_the_death(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    y1 = visit_of(plan, "y1")
    died = timezone.localdate()  # the factories discharge today
    services.visit_record(
        visit=y1,
        user=cast.cora,
        version=y1.version,
        entries={"vital_status": services.InstrumentEntry({**DEAD, "date_of_death": died.isoformat()})},
        completed_on=timezone.localdate(),
        complete=True,
    )
    series = outcome_series(plan.patient)
    assert series.death is not None and series.death.date_of_death == died
    assert series.death.cause_label == "respiratory" and series.death.visit_name == "Year 1"
    assert [r.visit_code for r in series.rows] == ["y1"]


def test_it_reads_a_fixed_number_of_queries_however_long_the_follow_up(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    _complete(visit_of(plan, "d28"), cast.nina)
    with CaptureQueriesContext(connection) as short:
        outcome_series(plan.patient)
    for code in ("m3", "m6"):
        _complete(visit_of(plan, code), cast.nina)
    with CaptureQueriesContext(connection) as long:
        outcome_series(plan.patient)
    assert len(long.captured_queries) == len(short.captured_queries) == 3
