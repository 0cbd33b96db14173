"""The patient's course, drawn: oxygenation over time and the vitals through each administration.

Pure functions from rows the patient page has already read (``pathway.selectors``)
to ``stromal.charts`` charts; no query here.

- ``oxygenation_chart``: P/F ratio (examinations: the latest stored assessment,
  so the rule version's rounding and altitude correction), SpO2 and FiO2
  (examinations' results, the administrations' baseline and vitals) over
  time, with the Berlin definition's P/F cut-offs as reference lines and a
  vertical line at the start of each administration.
- ``session_vitals_chart``: one administration's vitals from its start, with
  the limits of the stopping rules of the protocol the session follows
  (``stromal.clinical.stopping_thresholds``, from the protocol's
  ``stopping_rules`` and the session's baseline), a vertical line where a
  rule fired, and the end of the rules' window when the vitals go past it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stromal import display
from stromal.accounts.zones import format_when
from stromal.administrations.vitals import ALL_SPECS, DOSE_FIELDS, baseline_from, canonical_doses
from stromal.charts import Chart, ChartView, LineKind, Marker, Panel, Point, Series, Threshold, chart_view
from stromal.clinical import berlin
from stromal.clinical.infusion_safety import InfusionBaseline
from stromal.clinical.protocol import StoppingRuleSet
from stromal.clinical.stopping_thresholds import StoppingLimits, canonical_dose_field, stopping_limits
from stromal.clinical.validation import ClinicalInputError
from stromal.pathway.selectors import PatientPage

NO_OXYGENATION = (
    "No P/F ratio, SpO2 or FiO2 recorded yet: they come from the examinations' results "
    "and the administrations' vitals."
)
NO_PF = "No P/F ratio yet: it needs PaO2 and FiO2 at an examination (administrations record no blood gas)."

#: Berlin definition P/F cut-offs (the upper, inclusive end of each grade), drawn as reference lines.
BERLIN_LINES: tuple[tuple[float, str], ...] = (
    (berlin.MILD_MAX_PF, "mild"),
    (berlin.MODERATE_MAX_PF, "moderate"),
    (berlin.SEVERE_MAX_PF, "severe"),
)


@dataclass(frozen=True)
class ExamReading:
    """An examination's oxygenation: P/F (mmHg) from its latest assessment, SpO2 (%) and FiO2 as recorded."""

    label: str
    at: dt.datetime
    pf_ratio_mmhg: float | None
    spo2_pct: float | None
    fio2: float | None


@dataclass(frozen=True)
class VitalsReading:
    """One vitals time point of an administration; ``events``: the stopping-rule events it fired."""

    minutes_since_start: float
    taken_at: dt.datetime
    values: Mapping[str, Any]
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionCourse:
    """A started administration: its baseline (at the start), vitals and the protocol's rule set."""

    pk: int
    title: str
    short_title: str
    started_at: dt.datetime
    baseline: Mapping[str, Any]
    weight_kg: float | None
    rule_set: StoppingRuleSet
    readings: tuple[VitalsReading, ...]


def _number(values: Mapping[str, Any], key: str) -> float | None:
    value = values.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _reading_label(reading: VitalsReading) -> str:
    return f"{display.number(reading.minutes_since_start)} min ({format_when(reading.taken_at, 'H:i')})"


def oxygenation_chart(exams: Sequence[ExamReading], sessions: Sequence[SessionCourse]) -> Chart:
    """P/F, SpO2 and FiO2 over time from examinations and administrations (see the module)."""
    rows: list[tuple[dt.datetime, str, Mapping[str, float | None]]] = []
    for e in exams:
        values = {"pf": e.pf_ratio_mmhg, "spo2_pct": e.spo2_pct, "fio2": e.fio2}
        rows.append((e.at, f"{format_when(e.at)}, {e.label}", values))
    for s in sessions:
        rows.append(
            (
                s.started_at,
                f"{format_when(s.started_at)}, {s.short_title}, baseline",
                {k: _number(s.baseline, k) for k in ("spo2_pct", "fio2")},
            )
        )
        for r in s.readings:
            label = f"{format_when(r.taken_at)}, {s.short_title}, {display.number(r.minutes_since_start)} min"
            rows.append((r.taken_at, label, {k: _number(r.values, k) for k in ("spo2_pct", "fio2")}))
    # A time point with none of the three (vitals of heart rate only) is no row of this chart.
    rows = sorted(
        (row for row in rows if any(v is not None for v in row[2].values())), key=lambda row: row[0]
    )

    def series(name: str, key: str) -> Series:
        return Series(name, tuple(Point(at, values.get(key), label) for at, label, values in rows))

    berlin_lines = tuple(
        Threshold(
            cutoff,
            f"Berlin {grade} ≤ {cutoff:g}",
            f"Berlin definition: {grade} ARDS at or below {cutoff:g} mmHg, with PEEP or CPAP ≥ "
            f"{berlin.MIN_PEEP_CMH2O:g} cmH2O",
            LineKind.REFERENCE,
        )
        for cutoff, grade in BERLIN_LINES
    )
    spo2, fio2 = ALL_SPECS["spo2_pct"], ALL_SPECS["fio2"]
    panels = (
        Panel("P/F ratio", "mmHg", (series("P/F ratio", "pf"),), berlin_lines, empty=NO_PF),
        Panel(spo2.display_label(), spo2.unit, (series(spo2.display_label(), "spo2_pct"),)),
        Panel(fio2.display_label(), fio2.unit, (series(fio2.display_label(), "fio2"),)),
    )
    return Chart(
        "chart-oxygenation",
        "Oxygenation over time: P/F ratio, SpO2 and FiO2",
        "Date and time",
        panels,
        markers=tuple(
            Marker(s.started_at, s.short_title, f"{s.title}, started {format_when(s.started_at)}")
            for s in sessions
        ),
        description=(
            "P/F from the examinations' assessments; SpO2 and FiO2 from the examinations' results and "
            "from each administration's baseline and vitals. Dotted lines: the Berlin definition's P/F "
            f"cut-offs ({berlin.SOURCE})."
        ),
        empty=NO_OXYGENATION,
    )


def _baseline(session: SessionCourse) -> InfusionBaseline:
    try:
        return baseline_from(session.baseline, session.weight_kg)
    except ClinicalInputError:
        # A dose that cannot be converted without a weight (the services refuse to start such a
        # session, so only an old record): the limits are drawn from the other baseline values.
        plain = {k: v for k, v in session.baseline.items() if k not in DOSE_FIELDS}
        return baseline_from(plain, session.weight_kg)


def _plotted(values: Mapping[str, Any], weight_kg: float | None) -> dict[str, float]:
    """The numeric vitals, every vasopressor dose in its canonical unit where it converts (else as entered)."""
    out = {k: v for k in ALL_SPECS if k not in DOSE_FIELDS and (v := _number(values, k)) is not None}
    for field in DOSE_FIELDS:
        value = _number(values, field)
        if value is None:
            continue
        try:
            out.update(canonical_doses({field: value}, weight_kg))
        except ClinicalInputError:
            out[field] = value
    return out


def _session_panels() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(title, vitals keys) of each panel a session chart may draw, in order."""
    canonical = [canonical_dose_field(drug) for drug in dict.fromkeys(d for d, _ in DOSE_FIELDS.values())]
    doses = [*canonical, *(f for f in DOSE_FIELDS if f not in canonical)]
    return (
        ("Heart rate", ("heart_rate_bpm",)),
        ("Blood pressure", ("systolic_bp_mmhg", "diastolic_bp_mmhg")),
        ("Respiratory rate", ("respiratory_rate_per_min",)),
        ("SpO2", ("spo2_pct",)),
        ("Temperature", ("temperature_c",)),
        ("FiO2", ("fio2",)),
        ("PEEP/CPAP", ("peep_cmh2o",)),
        *((DOSE_FIELDS[f][0].capitalize(), (f,)) for f in doses),
        ("Vasopressors running", ("vasopressor_count",)),
    )


def _thresholds(limits: StoppingLimits, field: str, rules: str) -> tuple[Threshold, ...]:
    """``field``'s limits as lines; ``rules`` names the rule set (``display.code_label``)."""
    out = []
    for t in limits.for_field(field):
        if t.value is None:
            continue
        sign = "≥" if t.inclusive else ">"
        together = f", together with {t.together_with}" if t.together_with else ""
        out.append(
            Threshold(
                t.value, f"stop {sign} {display.number(t.value)}", f"{rules}: {t.description}{together}"
            )
        )
    return tuple(out)


def session_vitals_chart(session: SessionCourse) -> Chart:
    """One administration's vitals from its start, with its protocol's stopping-rule limits (see the module)."""
    limits = stopping_limits(session.rule_set, _baseline(session))
    rules = display.code_label(session.rule_set.value)
    rows: list[tuple[float, str, dict[str, float]]] = [
        (
            0.0,
            f"Baseline ({format_when(session.started_at, 'H:i')})",
            _plotted(session.baseline, session.weight_kg),
        )
    ]
    rows += [
        (r.minutes_since_start, _reading_label(r), _plotted(r.values, session.weight_kg))
        for r in session.readings
    ]
    measured = {key for _, _, values in rows for key in values}
    panels = []
    for title, keys in _session_panels():
        if not measured.intersection(keys):
            continue  # nothing to draw (and nothing to say: most sessions run without vasopressors)
        specs = [ALL_SPECS[k] for k in keys]
        series = tuple(
            Series(
                title if len(keys) == 1 else spec.display_label(),
                tuple(Point(minutes, values.get(spec.name), label) for minutes, label, values in rows),
            )
            for spec in specs
        )
        thresholds = tuple(t for k in keys for t in _thresholds(limits, k, rules))
        panels.append(Panel(title, specs[0].unit, series, thresholds))
    markers = [
        Marker(r.minutes_since_start, "stopping rule", "; ".join(r.events))
        for r in session.readings
        if r.events
    ]
    if any(r.minutes_since_start > limits.window_minutes for r in session.readings):
        hours = display.number(limits.window_minutes / 60)
        markers.append(Marker(limits.window_minutes, f"end of the rules' window ({hours} h)"))
    not_placed = [t.description for t in limits.thresholds if t.value is None]
    return Chart(
        f"chart-vitals-{session.pk}",
        f"Vitals through {session.title}",
        "Minutes from the start",
        tuple(panels),
        markers=tuple(markers),
        description=(
            f"From the baseline at the start ({format_when(session.started_at)}). Dashed red lines: the limits "
            f"of the protocol's stopping rules ({rules}), which apply "
            f"within {display.number(limits.window_minutes / 60)} h of the start."
            + (f" Not drawn, the body weight is missing: {'; '.join(not_placed)}." if not_placed else "")
        ),
    )


@dataclass(frozen=True)
class CourseCharts:
    """The patient page's charts: oxygenation over time, then one chart per started administration."""

    oxygenation: ChartView
    sessions: tuple[ChartView, ...]

    @property
    def drawn(self) -> bool:
        """Whether any chart has a figure (else the page loads no Plotly.js)."""
        return any(view.figure is not None for view in (self.oxygenation, *self.sessions))


def course_charts(page: PatientPage) -> CourseCharts:
    """The charts of one patient page, from the rows ``pathway.selectors.patient_page`` read (no query).

    Each administration's stopping rules are those of the protocol version its plan follows.
    """
    rule_sets: dict[int, StoppingRuleSet] = {}
    for plan in page.plans:
        version = plan.protocol_version
        if version.pk not in rule_sets:
            rule_sets[version.pk] = version.to_protocol().stopping_rules
    rule_set_of_plan = {plan.pk: rule_sets[plan.protocol_version_id] for plan in page.plans}
    readings: dict[int, list[VitalsReading]] = {}
    for v in page.vitals:
        events = tuple(str(hit.get("description", hit.get("rule_id", ""))) for hit in v.hits or [])
        readings.setdefault(v.session_id, []).append(
            VitalsReading(v.minutes_since_start, v.taken_at, v.values, events)
        )
    sessions: list[SessionCourse] = []
    for s in page.course["sessions"]:
        if s.started_at is None:
            continue  # nothing measured before the start
        sessions.append(
            SessionCourse(
                pk=s.pk,
                title=str(s),
                short_title=f"Administration {s.sequence}",
                started_at=s.started_at,
                baseline=s.baseline,
                weight_kg=s.weight_kg,
                rule_set=rule_set_of_plan[s.plan_id],
                readings=tuple(sorted(readings.get(s.pk, []), key=lambda r: r.minutes_since_start)),
            )
        )
    sessions.sort(key=lambda s: (s.started_at, s.pk))
    exams = [
        ExamReading(
            e.get_kind_display(),
            e.scheduled_for,
            # annotations of pathway.selectors (the latest assessment's P/F, the current results)
            getattr(e, "pf_ratio_mmhg", None),
            getattr(e, "spo2_pct", None),
            getattr(e, "fio2", None),
        )
        for e in page.encounters
    ]
    return CourseCharts(
        chart_view(oxygenation_chart(exams, sessions)),
        tuple(chart_view(session_vitals_chart(s)) for s in sessions),
    )
