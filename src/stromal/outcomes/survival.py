"""Survival from enrolment: Kaplan-Meier by group with 95 % CI, numbers at risk, and the
median follow-up by the reverse Kaplan-Meier method.

Time runs from enrolment (day 0, ``outcomes.cohort``) to death (an event) or to the
last contact (censored). The estimate and its pointwise 95 % interval
(exponential Greenwood, "log(-log)") come from lifelines' ``KaplanMeierFitter``.
Sources: Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.
J Am Stat Assoc 1958;53(282):457-81, doi:10.1080/01621459.1958.10501452; the median
follow-up by reverse Kaplan-Meier (censoring as the event): Schemper M, Smith TL.
A note on quantifying follow-up in studies of failure time. Control Clin Trials
1996;17(4):343-6, doi:10.1016/0197-2456(96)00075-X.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from stromal.outcomes.cohort import LABELS, Cohort, PatientRow
from stromal.outcomes.figures import Curve, survival_figure
from stromal.outcomes.tables import Cell, Figure, Report, Table, columns

#: Days at which the survival table reports the estimate and the numbers at risk.
REPORT_DAYS = (0, 28, 90, 180, 365, 730, 1095, 1460, 1825)
#: How the survival page may split the cohort: code -> (label, key of a patient).
GROUPINGS: dict[str, tuple[str, Callable[[PatientRow], str]]] = {
    "arm": ("Arm", lambda r: r.arm_label),
    "berlin": ("Berlin severity at Day 1", lambda r: LABELS["berlin"][r.berlin]),
    "global_definition": (
        "Global definition at Day 1",
        lambda r: LABELS["global_definition"][r.global_definition],
    ),
    "none": ("Whole cohort", lambda r: "All patients"),
}


@dataclass(frozen=True)
class Step:
    """One event time of the Kaplan-Meier table."""

    day: float
    at_risk: int
    deaths: int
    censored: int
    survival: float
    low: float
    high: float


@dataclass(frozen=True)
class KaplanMeier:
    """The estimate of one group: its steps, the median (days) and its 95 % CI, the median follow-up."""

    group: str
    n: int
    deaths: int
    steps: list[Step]
    median_days: float | None
    median_low: float | None
    median_high: float | None
    follow_up_median_days: float | None

    def at(self, day: float) -> Step | None:
        """The step in force on ``day`` (the last event time at or before it)."""
        found = None
        for step in self.steps:
            if step.day > day:
                break
            found = step
        return found


def _finite(value: float) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else float(value)


def at_risk(durations: Sequence[float], day: float) -> int:
    """Patients still followed just before ``day`` (time at or after it)."""
    return sum(1 for d in durations if d >= day)


def kaplan_meier(group: str, durations: Sequence[float], died: Sequence[bool]) -> KaplanMeier:
    """The Kaplan-Meier estimate of one group (``durations`` in days; ``died`` True for an event).

    Raises:
        ValueError: no patients, or a negative duration.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    if not durations:
        raise ValueError(f"{group}: no patients")
    if min(durations) < 0:
        raise ValueError(f"{group}: a duration is negative")
    events = [1 if d else 0 for d in died]
    kmf = KaplanMeierFitter(alpha=0.05).fit(list(durations), events)
    table = kmf.event_table
    ci = kmf.confidence_interval_survival_function_
    survival = kmf.survival_function_.iloc[:, 0]
    steps = [
        Step(
            day=float(t),
            at_risk=int(table.loc[t, "at_risk"]),
            deaths=int(table.loc[t, "observed"]),
            censored=int(table.loc[t, "censored"]),
            survival=float(survival.loc[t]),
            low=float(ci.loc[t].iloc[0]),
            high=float(ci.loc[t].iloc[1]),
        )
        for t in table.index
    ]
    median_ci = median_survival_times(ci)
    reverse = KaplanMeierFitter(alpha=0.05).fit(list(durations), [1 - e for e in events])
    return KaplanMeier(
        group=group,
        n=len(durations),
        deaths=sum(events),
        steps=steps,
        median_days=_finite(kmf.median_survival_time_),
        median_low=_finite(float(median_ci.iloc[0, 0])),
        median_high=_finite(float(median_ci.iloc[0, 1])),
        follow_up_median_days=_finite(reverse.median_survival_time_),
    )


@dataclass(frozen=True)
class SurvivalResult:
    grouping: str
    curves: list[KaplanMeier]
    overall_follow_up_median_days: float | None
    durations: dict[str, list[int]]
    #: Study ids of the patients left out: a death dated before their enrolment (a record to check).
    dated_before_enrolment: list[str] = field(default_factory=list)


def survival_by(cohort: Cohort, grouping: str) -> SurvivalResult:
    """Kaplan-Meier curves of ``cohort`` split by ``grouping`` (a key of ``GROUPINGS``).

    Raises:
        KeyError: an unknown grouping.
    """
    _, key = GROUPINGS[grouping]
    groups: dict[str, tuple[list[int], list[bool]]] = defaultdict(lambda: ([], []))
    all_days: list[int] = []
    all_died: list[bool] = []
    before_enrolment: list[str] = []
    for row in cohort.rows:
        died = row.death is not None
        death_day = row.day(row.death.on) if row.death else None
        if death_day is not None and death_day < 0:
            before_enrolment.append(row.study_id)  # not clamped to day 0: shown as a record to check
            continue
        days = death_day if death_day is not None else cohort.follow_up_days(row)
        durations, events = groups[key(row)]
        durations.append(days)
        events.append(died)
        all_days.append(days)
        all_died.append(died)
    curves = [kaplan_meier(name, d, e) for name, (d, e) in sorted(groups.items())]
    overall = kaplan_meier("all", all_days, all_died).follow_up_median_days if all_days else None
    return SurvivalResult(
        grouping, curves, overall, {name: d for name, (d, _) in groups.items()}, before_enrolment
    )


def _days(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.0f}"


def _median_cell(km: KaplanMeier) -> Cell:
    if km.median_days is None:
        return Cell("not reached", None)
    return Cell(
        f"{km.median_days:.0f} (95 % CI {_days(km.median_low)}–{_days(km.median_high)})", km.median_days
    )


def _at_cell(km: KaplanMeier, day: int) -> Cell:
    step = km.at(day)
    if step is None:
        return Cell("1.000", 1.0)
    return Cell(f"{step.survival:.3f} ({step.low:.3f}–{step.high:.3f})", step.survival)


def survival_report(cohort: Cohort, grouping: str) -> Report:
    """The survival page: curves, a summary per group, numbers at risk, and each group's KM table."""
    report = Report()
    if not cohort.rows:
        report.notes.append("The cohort is empty: no survival to estimate.")
        return report
    result = survival_by(cohort, grouping)
    if result.dated_before_enrolment:
        shown = ", ".join(result.dated_before_enrolment[:10])
        more = len(result.dated_before_enrolment) - 10
        report.notes.append(
            f"{len(result.dated_before_enrolment)} patient(s) left out of the survival estimate: a death "
            f"dated before the enrolment (check these records): {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    label, _ = GROUPINGS[grouping]
    horizon = max((max(d) for d in result.durations.values() if d), default=0)
    days = [d for d in REPORT_DAYS if d <= max(horizon, 0)] or [0]
    curve_table = Table(
        "km-curve",
        "Kaplan-Meier estimate at each event time",
        columns(
            ("group", label),
            ("day", "Day", True),
            ("at_risk", "At risk", True),
            ("deaths", "Deaths", True),
            ("censored", "Censored", True),
            ("survival", "Survival", True),
            ("low", "95 % CI low", True),
            ("high", "95 % CI high", True),
        ),
        [
            [
                km.group,
                s.day,
                s.at_risk,
                s.deaths,
                s.censored,
                round(s.survival, 4),
                round(s.low, 4),
                round(s.high, 4),
            ]
            for km in result.curves
            for s in km.steps
        ],
        note="Pointwise 95 % confidence interval: exponential Greenwood (log(-log)), lifelines.",
    )
    report.figures.append(
        Figure(
            "km",
            f"Survival by {label.lower()}",
            survival_figure(
                [
                    Curve(
                        km.group,
                        [s.day for s in km.steps],
                        [s.survival for s in km.steps],
                        [s.low for s in km.steps],
                        [s.high for s in km.steps],
                    )
                    for km in result.curves
                ],
                f"Kaplan-Meier survival by {label.lower()} (95 % CI)",
            ),
            curve_table,
        )
    )
    report.tables.append(
        Table(
            "km-summary",
            "Summary by group",
            columns(
                ("group", label),
                ("n", "Patients", True),
                ("deaths", "Deaths", True),
                ("median", "Median survival, days (95 % CI)", True),
                *((f"s{d}", f"Survival at day {d} (95 % CI)", True) for d in (28, 90, 365) if d in days),
                ("follow_up", "Median follow-up, days (reverse KM)", True),
            ),
            [
                [
                    km.group,
                    km.n,
                    km.deaths,
                    _median_cell(km),
                    *(_at_cell(km, d) for d in (28, 90, 365) if d in days),
                    Cell(_days(km.follow_up_median_days), km.follow_up_median_days),
                ]
                for km in result.curves
            ],
            note=(
                "Median follow-up for the whole cohort (reverse Kaplan-Meier): "
                f"{_days(result.overall_follow_up_median_days)} days."
            ),
        )
    )
    report.tables.append(
        Table(
            "at-risk",
            "Numbers at risk",
            columns(("group", label), *((f"d{d}", f"Day {d}", True) for d in days)),
            [[km.group, *(at_risk(result.durations[km.group], d) for d in days)] for km in result.curves],
        )
    )
    report.notes.append(
        "Time runs from enrolment (the Day 1 examination) to death, or is censored at the last contact "
        "(encounter, administration, discharge, completed visit, adverse event)."
    )
    return report
