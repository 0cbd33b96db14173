"""Long-term trajectories: lung function, walk distance and questionnaire scores by visit
(median, interquartile range, n), against their normal limits.

Values come from ``outcomes.followup_adapter.numeric_values`` (the seam to the
follow-up instruments: ``instrument_values`` where they are numbers, placed at their visits by
the database). Reference lines, each with its source:

* 100 % predicted: the reference equation's prediction (GLI for spirometry and DLCO,
  Enright & Sherrill 1998 for the walk). 80 % predicted is drawn for FVC and DLCO as
  the conventional fixed cut-off; the lower limit of normal (z = -1.645) is preferred
  (Pellegrino R et al. Interpretative strategies for lung function tests. Eur Respir J
  2005;26(5):948-68, doi:10.1183/09031936.05.00035205).
* mMRC grade 2 and above: more breathlessness (GOLD 2023 report, initial assessment,
  mMRC 0-1 vs >= 2).
* PHQ-9 and GAD-7 at 10: moderate symptoms (``stromal.clinical.instruments`` bands,
  Kroenke 2001 and Spitzer 2006); MoCA normal from 26 (Nasreddine 2005).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Min

from stromal.clinical.instruments import gad7, moca, phq9
from stromal.followup.models import FollowUpVisit
from stromal.outcomes.cohort import Cohort, PatientRow
from stromal.outcomes.figures import Reference, Summary, trajectory_figure
from stromal.outcomes.followup_adapter import (
    BASELINE_EVENT,
    DISCHARGE_EVENT,
    UNSCHEDULED_EVENT,
    numeric_values,
)
from stromal.outcomes.memo import remembered
from stromal.outcomes.stats import median_iqr
from stromal.outcomes.tables import Figure, Report, Table, columns, round_or_none


def _bound(bands: tuple[tuple[int, str], ...], name: str) -> int:
    return next(bound for bound, label in bands if label == name)


@dataclass(frozen=True)
class Measure:
    """One trajectory: an instrument's result, its unit and its reference lines."""

    instrument: str
    item: str
    label: str
    unit: str
    references: tuple[Reference, ...]

    @property
    def id(self) -> str:
        return f"{self.instrument}-{self.item}".replace("_", "-")


PREDICTED = Reference(100, "100 % predicted")
EIGHTY = Reference(80, "80 % predicted (conventional cut-off; LLN preferred)")
MEASURES: tuple[Measure, ...] = (
    Measure("spirometry", "fvc_percent_predicted", "FVC", "% predicted", (PREDICTED, EIGHTY)),
    Measure("dlco", "percent_predicted", "DLCO", "% predicted", (PREDICTED, EIGHTY)),
    Measure("six_minute_walk", "percent_predicted", "Six-minute walk distance", "% predicted", (PREDICTED,)),
    Measure(
        "mmrc", "grade", "mMRC dyspnoea", "grade 0–4", (Reference(2, "grade 2: more breathlessness (GOLD)"),)
    ),
    Measure(
        "phq9",
        "total",
        "PHQ-9 depression",
        "points 0–27",
        (Reference(_bound(phq9.SEVERITY_BANDS, "moderate"), "moderate (Kroenke 2001)"),),
    ),
    Measure(
        "gad7",
        "total",
        "GAD-7 anxiety",
        "points 0–21",
        (Reference(_bound(gad7.SEVERITY_BANDS, "moderate"), "moderate (Spitzer 2006)"),),
    ),
    Measure(
        "moca",
        "adjusted_score",
        "MoCA cognition",
        "points 0–30",
        (Reference(moca.NORMAL_FROM, f"normal from {moca.NORMAL_FROM} (Nasreddine 2005)"),),
    ),
)
GROUPINGS: dict[str, tuple[str, Callable[[PatientRow], str]]] = {
    "none": ("Whole cohort", lambda r: "All patients"),
    "arm": ("Arm", lambda r: r.arm_label),
}


def nominal_day(event: str, order: dict[str, int]) -> int | None:
    """The protocol day of ``event`` as shown: the Day 1 examination is day 0 (enrolment), a
    discharge has no nominal day; ``visit_order``'s -2 and -1 only sort them first."""
    if event == BASELINE_EVENT:
        return 0
    if event == DISCHARGE_EVENT:
        return None
    return order.get(event)


def visit_order() -> dict[str, int]:
    """Event name -> its day (baseline first, discharge next, visits by their day offset)."""
    order = {BASELINE_EVENT: -2, DISCHARGE_EVENT: -1}
    # Each code at the day of its earliest visit: one row per (code, day) pair, not one per visit.
    pairs = (
        FollowUpVisit.objects.order_by()
        .values_list("code", "day_offset")
        .annotate(first=Min("target_date"), first_id=Min("id"))
    )
    for code, offset, _, _ in sorted(pairs, key=lambda p: (p[2], p[3])):
        order.setdefault(code, int(offset))
    return order


def trajectories_report(cohort: Cohort, grouping: str = "none") -> Report:
    """One figure and one table per measure with data; a note for the measures without.

    Raises:
        KeyError: an unknown grouping.
    """
    label, key = GROUPINGS[grouping]
    wanted = {(m.instrument, m.item): m for m in MEASURES}
    values: dict[tuple[str, str], dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    group_of = {row.pk: key(row) for row in cohort.rows}
    scope_values = remembered(
        "numeric_values", cohort.scope, lambda: numeric_values(site_ids=cohort.scope.site_ids, only=wanted)
    )
    for pid, instrument, item, event, value in scope_values:
        group = group_of.get(pid)
        if group is not None:
            values[(instrument, item)][group][event].append(value)
    order = remembered("visit_order", cohort.scope, visit_order)
    far = max(order.values(), default=0) + 1
    report = Report()
    missing = []
    for measure in MEASURES:
        groups = values.get((measure.instrument, measure.item))
        if not groups:
            missing.append(measure.label)
            continue
        events = sorted(
            {e for by_event in groups.values() for e in by_event},
            key=lambda e: (order.get(e, far + (e == UNSCHEDULED_EVENT)), e),
        )
        summaries: dict[str, list[Summary]] = {}
        rows = []
        for group in sorted(groups):
            points = []
            for event in events:
                spread = median_iqr(groups[group].get(event, []))
                points.append(Summary(event, spread.n, spread.median, spread.q1, spread.q3))
                if spread.n:
                    rows.append(
                        [
                            group,
                            event,
                            nominal_day(event, order),
                            spread.n,
                            round_or_none(spread.median, 1),
                            round_or_none(spread.q1, 1),
                            round_or_none(spread.q3, 1),
                        ]
                    )
            summaries[group] = points
        table = Table(
            measure.id,
            f"{measure.label} ({measure.unit}) by visit",
            columns(
                ("group", label),
                ("visit", "Visit"),
                ("day", "Nominal day", True),
                ("n", "n", True),
                ("median", "Median", True),
                ("q1", "Q1", True),
                ("q3", "Q3", True),
            ),
            rows,
        )
        report.figures.append(
            Figure(
                measure.id,
                f"{measure.label} by visit",
                trajectory_figure(
                    summaries,
                    title=f"{measure.label}: median and interquartile range by visit",
                    y_title=f"{measure.label} ({measure.unit})",
                    references=measure.references,
                ),
                table,
            )
        )
    if missing:
        report.notes.append("No values in this cohort for: " + ", ".join(missing) + ".")
    report.notes.append(
        "Visits: day1 is the Day 1 examination, then discharge and the protocol's follow-up visits by their day; "
        "a value outside every visit window is 'unscheduled'."
    )
    return report
