"""The analytics and exports read the follow-up instruments: every entered answer and derived
score of a recorded visit, and the date of death from the vital-status instrument (issue #9 -> #10)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from stromal.accounts.models import Site
from stromal.followup import services
from stromal.followup.models import FollowUpVisit, InstrumentResponse
from stromal.outcomes.cohort import CohortFilter, cohort_build
from stromal.outcomes.followup_adapter import UNSCHEDULED_EVENT, deaths, instrument_values, numeric_values
from stromal.outcomes.scope import Scope
from stromal.outcomes.stats import median_iqr
from stromal.outcomes.tables import round_or_none
from stromal.outcomes.trajectories import MEASURES, trajectories_report
from tests.followup.factories import DEAD, complete_with_instruments, discharged, visit_of
from tests.outcomes.factories import TODAY, Course, follow_up_fvc, make_course

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


def _follow_up_fvc(patient: Any, local_day: dt.date, local_time: dt.time, value: float, user: Any) -> None:
    """A follow-up encounter at ``local_time`` on ``local_day`` at the patient's site, with its FVC."""
    when = dt.datetime.combine(local_day, local_time, tzinfo=ZoneInfo(patient.site.time_zone))
    follow_up_fvc(patient, when, value, closed_by=user, recorded_by=user)


def test_the_numbers_placed_by_the_database_are_those_of_every_value_on_window_edges(cast: Any) -> None:
    # A site far from UTC: just after local midnight is the day before in UTC.
    Site.objects.filter(pk=cast.alice.site_id).update(time_zone="Pacific/Auckland")
    patient = make_course(cast, Course("EDGE-1", TODAY - dt.timedelta(days=800), visits_done_until=400))
    visits = list(FollowUpVisit.objects.filter(patient=patient).order_by("target_date"))
    # Two windows overlap: the later visit's window opens on the earlier one's target date.
    later = visits[2]
    later.window_start = visits[1].target_date
    later.save(update_fields=["window_start"])
    value = 60.0
    for visit in visits[:4]:
        for day, time in (
            (visit.window_start, dt.time(0, 30)),
            (visit.window_end, dt.time(23, 30)),
            (visit.window_end + dt.timedelta(days=1), dt.time(0, 30)),
            (visit.window_start - dt.timedelta(days=1), dt.time(23, 30)),
        ):
            value += 1.5
            _follow_up_fvc(patient, day, time, value, cast.nina)
    # Instrument responses: an entered item wins over a score of the same name, even when empty;
    # text and yes/no are not numbers.
    for visit, code, answers, scores in (
        (visits[0], "spirometry", {"fvc_l": 2.3}, {"fvc_percent_predicted": 71.5, "fvc_l": 2.4}),
        (visits[0], "mmrc", {"grade": 2}, {"grade": 3}),
        (visits[1], "mmrc", {"grade": None}, {"grade": 1}),
        (visits[1], "phq9", {"phq9_1": 1}, {"total": 9, "band": "mild"}),
        (visits[2], "phq9", {"phq9_1": True}, {"total": "nine"}),
        (visits[3], "six_minute_walk", {"six_minute_walk_m": 410}, {"percent_predicted": 77.0}),
    ):
        InstrumentResponse.objects.create(
            visit=visit,
            instrument_code=code,
            instrument_version="1",
            answers=answers,
            scores=scores,
            scoring_name="test scoring",
            subject={},
            recorded_by=cast.nina,
            recorded_at=timezone.now(),
        )
    only = [(m.instrument, m.item) for m in MEASURES] + [("spirometry", "fvc_l"), ("phq9", "phq9_1")]
    ids = [patient.pk]
    straightforward = sorted(
        (v.patient_id, v.instrument, v.item, v.event, v.value)
        for v in instrument_values(patient_ids=ids, only=only)
        if v.value is not None
    )
    fast = sorted(numeric_values(site_ids=None, only=only))
    assert fast == straightforward
    events = {
        event for pid, _, item, event, _ in fast if pid == patient.pk and item == "fvc_percent_predicted"
    }
    assert {UNSCHEDULED_EVENT, visits[1].code, visits[2].code} <= events
    assert {(item, event, value) for _, _, item, event, value in fast if item != "fvc_percent_predicted"} == {
        ("fvc_l", visits[0].code, 2.3),
        ("grade", visits[0].code, 2.0),
        ("total", visits[1].code, 9.0),
        ("phq9_1", visits[1].code, 1.0),
        ("percent_predicted", visits[3].code, 77.0),
    }
    assert sorted(numeric_values(site_ids=frozenset({cast.alice.site_id}), only=only)) == fast
    assert numeric_values(site_ids=frozenset({cast.alice.site_id + 1000}), only=only) == []


def test_the_trajectories_table_gives_the_median_quartiles_and_n_of_every_value_at_each_visit(
    cast: Any,
) -> None:
    patients = [
        make_course(
            cast,
            Course(
                f"TR-{i}", TODAY - dt.timedelta(days=500), fvc_pct=[(85 + i, 60.0 + 7 * i), (365, 80.0 - i)]
            ),
        )
        for i in range(6)
    ]
    by_event: dict[str, list[float]] = defaultdict(list)
    for v in instrument_values(patient_ids=[p.pk for p in patients]):
        if (v.instrument, v.item) == ("spirometry", "fvc_percent_predicted") and v.value is not None:
            by_event[v.event].append(v.value)
    scope = Scope(None)
    report = trajectories_report(cohort_build(scope=scope, filters=CohortFilter(), today=TODAY))
    table = report.table_named("spirometry-fvc-percent-predicted")
    assert table is not None
    shown = {row[1]: row[3:] for row in table.rows}
    for event, values in by_event.items():
        spread = median_iqr(values)
        expected = [spread.n, *(round_or_none(x, 1) for x in (spread.median, spread.q1, spread.q3))]
        assert shown[event] == expected
    assert set(shown) == set(by_event) and sum(row[0] for row in shown.values()) == 12
