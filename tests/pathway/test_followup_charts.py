"""The patient page draws the years of follow-up: FVC, DLCO and 6MWD in % predicted with their LLN
band, and the questionnaire scores with their published cut-offs (issue #9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.followup import services
from stromal.followup.selectors import outcome_series
from stromal.pathway.followup_charts import (
    MODERATE_SYMPTOMS_FROM,
    followup_charts,
    lung_function_chart,
    questionnaire_chart,
)
from tests.followup.factories import discharged, entries_for, visit_of

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


def _followed_up(cast: Any) -> Any:
    plan = discharged(cast, days_ago=400)
    services.visit_mark_missed(visit=visit_of(plan, "d28"), user=cast.cora, version=1, reason="Not reachable")
    _complete(visit_of(plan, "m3"), cast.nina, spirometry={"fev1_l": 1.9, "fvc_l": 2.3})
    _complete(visit_of(plan, "m6"), cast.nina, spirometry={"fev1_l": 2.5, "fvc_l": 3.1})
    return plan


def test_lung_function_is_drawn_in_percent_predicted_with_the_lln_at_each_visit(cast: Any) -> None:
    plan = _followed_up(cast)
    series = outcome_series(plan.patient)
    chart = lung_function_chart(series)
    fvc = chart.panels[0]
    assert [p.x for p in fvc.series[0].points] == [r.visit_name for r in series.rows]
    missed, m3, m6 = fvc.series[0].points
    assert missed.y is None and "missed" in missed.label
    rows = series.rows
    assert rows[1].fvc is not None and rows[2].fvc is not None
    assert m3.y == pytest.approx(rows[1].fvc.percent_predicted)
    assert m6.y == pytest.approx(rows[2].fvc.percent_predicted)
    assert fvc.band is not None
    assert [e.low for e in fvc.band.edges] == pytest.approx(
        [rows[1].fvc.lln_percent_predicted, rows[2].fvc.lln_percent_predicted]
    )
    assert "gli_global_2022" in chart.description


def test_the_questionnaires_carry_their_published_cut_offs(cast: Any) -> None:
    plan = _followed_up(cast)
    chart = questionnaire_chart(outcome_series(plan.patient))
    by_title = {panel.title: panel for panel in chart.panels}
    assert by_title["PHQ-9"].thresholds[0].value == MODERATE_SYMPTOMS_FROM
    assert by_title["MoCA (adjusted)"].thresholds[0].value == 26
    assert [p.y for p in by_title["PHQ-9"].series[0].points] == [None, 9.0, 9.0]


def test_a_patient_without_follow_up_gets_no_follow_up_chart(cast: Any) -> None:
    assert followup_charts(None).views == () and not followup_charts(None).drawn


def test_the_patient_page_shows_the_follow_up_charts_and_their_tables(cast: Any, client: Client) -> None:
    plan = _followed_up(cast)
    client.force_login(cast.nina)
    page = client.get(reverse("pathway:patient", kwargs={"pk": plan.patient.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="followup-charts"' in html
    for chart_id in ("chart-followup-lung", "chart-followup-scores", "chart-followup-rand36"):
        assert f'id="{chart_id}-figure"' in html
    figure = page.context["followup_charts"].views[0].figure
    assert figure is not None and json.dumps(figure) and len(figure["data"]) >= 3
