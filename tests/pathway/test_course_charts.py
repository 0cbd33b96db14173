"""The patient's course, drawn from rows (no database): oxygenation over time and each administration's vitals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stromal.charts import Chart, chart_view
from stromal.clinical import berlin
from stromal.clinical.protocol import StoppingRuleSet
from stromal.pathway.course_charts import (
    NO_OXYGENATION,
    NO_PF,
    ExamReading,
    SessionCourse,
    VitalsReading,
    oxygenation_chart,
    session_vitals_chart,
)
from tests.administrations.factories import BASELINE  # heart rate 96, BP 118/72, FiO2 0.4, PEEP 5, on NIV

DAY1 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 3, 10, 0, tzinfo=dt.UTC)


def _session(
    rule_set: StoppingRuleSet = StoppingRuleSet.START,
    readings: tuple[VitalsReading, ...] = (),
    baseline: dict[str, Any] | None = None,
    weight_kg: float | None = 80.0,
) -> SessionCourse:
    return SessionCourse(
        pk=7,
        title="Administration 1 (day 1) 2026-11-03",
        short_title="Administration 1",
        started_at=START,
        baseline=baseline or BASELINE,
        weight_kg=weight_kg,
        rule_set=rule_set,
        readings=readings,
    )


def _reading(minutes: float, events: tuple[str, ...] = (), **values: Any) -> VitalsReading:
    return VitalsReading(minutes, START + dt.timedelta(minutes=minutes), values, events)


def _panel(chart: Chart, title: str) -> Any:
    return next(p for p in chart.panels if p.title == title)


def _values(chart: Chart, title: str) -> list[tuple[Any, float | None]]:
    return [(p.x, p.y) for s in _panel(chart, title).series for p in s.points if p.y is not None]


def test_oxygenation_takes_pf_from_examinations_and_spo2_and_fio2_from_examinations_and_administrations() -> (
    None
):
    exam = ExamReading("Day 1 examination", DAY1, 175.0, 91.0, 0.4)
    session = _session(readings=(_reading(15, spo2_pct=95, fio2=0.4), _reading(30, spo2_pct=96)))
    chart = oxygenation_chart([exam], [session])
    assert _values(chart, "P/F ratio") == [(DAY1, 175.0)]
    fifteen, thirty = START + dt.timedelta(minutes=15), START + dt.timedelta(minutes=30)
    assert _values(chart, "SpO2") == [(DAY1, 91.0), (START, 93.0), (fifteen, 95.0), (thirty, 96.0)]
    assert _values(chart, "FiO2") == [(DAY1, 0.4), (START, 0.4), (fifteen, 0.4)]
    assert [(m.x, m.label) for m in chart.markers] == [(START, "Administration 1")]


def test_oxygenation_draws_the_berlin_cut_offs_from_the_berlin_module() -> None:
    chart = oxygenation_chart([ExamReading("Day 1 examination", DAY1, 175.0, None, None)], [])
    lines = [t.value for t in _panel(chart, "P/F ratio").thresholds]
    assert lines == [berlin.MILD_MAX_PF, berlin.MODERATE_MAX_PF, berlin.SEVERE_MAX_PF]


def test_oxygenation_table_rows_say_where_each_value_comes_from() -> None:
    exam = ExamReading("Day 1 examination", DAY1, 175.0, 91.0, 0.4)
    readings = (_reading(15, spo2_pct=95), _reading(20, heart_rate_bpm=88))
    rows = chart_view(oxygenation_chart([exam], [_session(readings=readings)])).table.rows
    assert [r.heading for r in rows] == [
        "2026-11-02 09:00 UTC, Day 1 examination",
        "2026-11-03 10:00 UTC, Administration 1, baseline",
        "2026-11-03 10:15 UTC, Administration 1, 15 min",
    ]
    assert rows[0].cells == ("175", "91", "0.4") and rows[2].cells == ("—", "95", "—")


def test_no_oxygenation_recorded_yet_says_so_instead_of_an_empty_chart() -> None:
    view = chart_view(oxygenation_chart([ExamReading("Day 1 examination", DAY1, None, None, None)], []))
    assert view.figure is None and view.chart.empty == NO_OXYGENATION


def test_spo2_without_a_blood_gas_says_why_there_is_no_pf_ratio() -> None:
    view = chart_view(oxygenation_chart([ExamReading("Day 1 examination", DAY1, None, 92.0, 0.5)], []))
    assert view.figure is not None and view.notes == (NO_PF,)


def test_a_start_session_draws_fio2_and_peep_limits_above_its_own_baseline() -> None:
    chart = session_vitals_chart(_session(readings=(_reading(15, spo2_pct=95, fio2=0.5, peep_cmh2o=8),)))
    assert [t.value for t in _panel(chart, "FiO2").thresholds] == [0.6]
    assert [t.value for t in _panel(chart, "PEEP/CPAP").thresholds] == [10.0]
    assert all("START" in t.detail for t in _panel(chart, "FiO2").thresholds)


def test_the_limits_follow_the_sessions_rule_set_not_a_fixed_list() -> None:
    # Lanzoni 2021 limits FiO2 and PEEP only on invasive ventilation; this patient is on NIV.
    chart = session_vitals_chart(_session(StoppingRuleSet.LANZONI, (_reading(15, fio2=0.5, peep_cmh2o=8),)))
    assert _panel(chart, "FiO2").thresholds == () and _panel(chart, "PEEP/CPAP").thresholds == ()
    ventilated = session_vitals_chart(
        _session(StoppingRuleSet.LANZONI, baseline={**BASELINE, "support": "invasive"})
    )
    assert [t.value for t in _panel(ventilated, "FiO2").thresholds] == [0.6]
    assert "Lanzoni" in _panel(ventilated, "FiO2").thresholds[0].detail


def test_vasopressor_doses_are_drawn_in_the_rules_unit_against_the_published_threshold() -> None:
    # 0.1 µg/kg/min x 80 kg = 8 µg/min of norepinephrine; START's line is 10 µg/min.
    chart = session_vitals_chart(_session(readings=(_reading(30, norepinephrine_ug_kg_min=0.1),)))
    panel = _panel(chart, "Norepinephrine")
    assert panel.unit == "µg/min" and _values(chart, "Norepinephrine") == [(30, 8.0)]
    assert [t.value for t in panel.thresholds] == [10.0]


def test_a_session_chart_has_the_baseline_as_its_first_row_and_only_measured_vitals() -> None:
    view = chart_view(
        session_vitals_chart(_session(readings=(_reading(15, spo2_pct=95, heart_rate_bpm=90),)))
    )
    assert [p.title for p in view.chart.panels] == [
        "Heart rate",
        "Blood pressure",
        "Respiratory rate",
        "SpO2",
        "Temperature",
        "FiO2",
        "PEEP/CPAP",
    ]
    assert view.table.rows[0].heading.startswith("Baseline") and view.table.rows[1].heading.startswith(
        "15 min"
    )
    assert view.table.rows[0].cells[:3] == ("96", "118", "72")


def test_a_fired_stopping_rule_is_marked_where_it_fired() -> None:
    reading = _reading(45, ("hypoxaemia requiring FiO2 +0.2 and PEEP +5 cmH2O",), fio2=0.6, peep_cmh2o=10)
    view = chart_view(session_vitals_chart(_session(readings=(reading,))))
    assert [(m.x, m.label) for m in view.chart.markers] == [(45, "stopping rule")]
    assert any("45" in line and "hypoxaemia" in line for line in view.lines)


def test_vitals_past_the_rules_window_show_where_the_window_ends() -> None:
    chart = session_vitals_chart(_session(readings=(_reading(480, spo2_pct=95),)))
    assert [(m.x, m.label) for m in chart.markers] == [(360.0, "end of the rules' window (6 h)")]


def test_a_missing_body_weight_says_which_limit_is_not_drawn() -> None:
    chart = session_vitals_chart(_session(StoppingRuleSet.LANZONI, weight_kg=None))
    assert (
        "Not drawn, the body weight is missing: epinephrine increased to at least 10 µg/min"
        in chart.description
    )
