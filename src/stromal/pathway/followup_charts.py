"""The years of follow-up, drawn: lung function and walk distance against their reference, and the
questionnaire scores, visit by visit.

Pure functions from ``followup.selectors.outcome_series`` (already read for the
patient page's outcome table) to ``stromal.charts`` charts; no query here.

- ``lung_function_chart``: FVC and DLCO (GLI equations) and the six-minute walk
  distance (Enright & Sherrill 1998) in % of predicted, each with its lower limit
  of normal (also in % of predicted: it depends on age, so it is drawn at each
  visit) as the band's lower edge, and 100 % predicted as a reference line.
- ``questionnaire_chart``: PHQ-9 and GAD-7 totals with the cut-off of moderate
  symptoms (10; Kroenke 2001, Spitzer 2006), the MoCA adjusted score with the
  lower end of normal (26; Nasreddine 2005) and the mMRC dyspnoea grade with
  grade 2, where GOLD separates "more breathlessness" (GOLD 2023 report, ch. 2).
- ``rand36_chart``: the eight RAND-36 scales (0-100, higher is better; RAND's
  scoring, Hays 1993).

A visit is drawn on the x axis by its name, in visit order; a missed visit
stays on the axis with no value, so a gap reads as a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stromal.charts import (
    Band,
    BandEdge,
    Chart,
    ChartView,
    LineKind,
    Panel,
    Point,
    Series,
    Threshold,
    chart_view,
)
from stromal.clinical.instruments import gad7, moca, phq9
from stromal.followup.selectors import OutcomeRow, OutcomeSeries, ReferencePoint

#: PHQ-9 and GAD-7: totals of 10 or more are moderate symptoms (Kroenke 2001; Spitzer 2006).
MODERATE_SYMPTOMS_FROM = 10
#: mMRC grade at and above which GOLD counts "more breathlessness" (GOLD 2023 report, chapter 2).
MMRC_MORE_BREATHLESS_FROM = 2
PREDICTED_LINE = Threshold(
    100.0, "100 % predicted", "the reference equation's predicted value", LineKind.REFERENCE
)
NO_FOLLOW_UP = "No follow-up visit completed yet: the outcomes are drawn here visit by visit."

RAND36_SCALE_NAMES: dict[str, str] = {
    "physical_functioning": "Physical functioning",
    "role_limitations_physical": "Role limitations (physical)",
    "role_limitations_emotional": "Role limitations (emotional)",
    "energy_fatigue": "Energy / fatigue",
    "emotional_wellbeing": "Emotional well-being",
    "social_functioning": "Social functioning",
    "pain": "Pain",
    "general_health": "General health",
}


def _x(row: OutcomeRow) -> str:
    return row.visit_name


def _label(row: OutcomeRow) -> str:
    missed = ", missed" if row.status == "missed" else ""
    return f"{row.visit_name} ({row.on:%Y-%m-%d}{missed})"


def _reference_panel(
    rows: tuple[OutcomeRow, ...], title: str, of: Callable[[OutcomeRow], ReferencePoint | None], empty: str
) -> Panel:
    points = []
    edges = []
    for row in rows:
        ref = of(row)
        points.append(Point(_x(row), ref.percent_predicted if ref else None, _label(row)))
        if ref is not None:
            edges.append(BandEdge(_x(row), low=ref.lln_percent_predicted))
    band = Band("at or above the lower limit of normal", edges=tuple(edges)) if edges else None
    return Panel(
        title, "% predicted", (Series(title, tuple(points)),), (PREDICTED_LINE,), band=band, empty=empty
    )


def _score_panel(
    rows: tuple[OutcomeRow, ...],
    title: str,
    unit: str,
    of: Callable[[OutcomeRow], int | None],
    threshold: Threshold,
) -> Panel:
    points = tuple(Point(_x(r), float(v) if (v := of(r)) is not None else None, _label(r)) for r in rows)
    return Panel(title, unit, (Series(title, points),), (threshold,))


def _equations(rows: tuple[OutcomeRow, ...]) -> str:
    names = sorted(
        {
            ref.equation
            for r in rows
            for ref in (r.fvc, r.dlco, r.six_minute_walk)
            if ref is not None and ref.equation
        }
    )
    return ", ".join(names) if names else "none yet"


def lung_function_chart(outcomes: OutcomeSeries) -> Chart:
    """FVC, DLCO and 6MWD in % predicted by visit, each with its LLN band (see the module)."""
    rows = outcomes.rows
    return Chart(
        "chart-followup-lung",
        "Lung function and walk distance across follow-up (% predicted)",
        "Follow-up visit",
        (
            _reference_panel(rows, "FVC", lambda r: r.fvc, "No spirometry recorded yet."),
            _reference_panel(rows, "DLCO", lambda r: r.dlco, "No DLCO recorded yet."),
            _reference_panel(
                rows,
                "6-minute walk distance",
                lambda r: r.six_minute_walk,
                "No six-minute walk recorded yet.",
            ),
        ),
        description=(
            "Measured value as % of the predicted value of its reference equation, with the lower limit "
            "of normal (LLN, also in % predicted; it depends on age, so it is drawn at each visit) as the "
            f"lower edge of the shaded band. Equations used: {_equations(rows)}. Below the band is below "
            "the LLN."
        ),
        empty=NO_FOLLOW_UP,
    )


def questionnaire_chart(outcomes: OutcomeSeries) -> Chart:
    """PHQ-9, GAD-7, MoCA and mMRC by visit with their published cut-offs (see the module)."""
    rows = outcomes.rows
    return Chart(
        "chart-followup-scores",
        "Mood, cognition and breathlessness across follow-up",
        "Follow-up visit",
        (
            _score_panel(
                rows,
                "PHQ-9",
                "points, 0-27",
                lambda r: r.phq9_total,
                Threshold(
                    MODERATE_SYMPTOMS_FROM,
                    "moderate",
                    f"PHQ-9 of {MODERATE_SYMPTOMS_FROM} or more: moderate depressive symptoms "
                    f"(Kroenke 2001; bands {', '.join(str(b) for b, _ in phq9.SEVERITY_BANDS[1:])})",
                    LineKind.REFERENCE,
                ),
            ),
            _score_panel(
                rows,
                "GAD-7",
                "points, 0-21",
                lambda r: r.gad7_total,
                Threshold(
                    MODERATE_SYMPTOMS_FROM,
                    "moderate",
                    f"GAD-7 of {MODERATE_SYMPTOMS_FROM} or more: moderate anxiety symptoms "
                    f"(Spitzer 2006; bands {', '.join(str(b) for b, _ in gad7.SEVERITY_BANDS[1:])})",
                    LineKind.REFERENCE,
                ),
            ),
            _score_panel(
                rows,
                "MoCA (adjusted)",
                f"points, 0-{moca.MAX_SCORE}",
                lambda r: r.moca_adjusted,
                Threshold(
                    moca.NORMAL_FROM,
                    "normal from",
                    f"MoCA of {moca.NORMAL_FROM} or more is normal (Nasreddine 2005)",
                    LineKind.REFERENCE,
                ),
            ),
            _score_panel(
                rows,
                "mMRC dyspnoea",
                "grade, 0-4",
                lambda r: r.mmrc_grade,
                Threshold(
                    MMRC_MORE_BREATHLESS_FROM,
                    "more breathless",
                    f"mMRC grade {MMRC_MORE_BREATHLESS_FROM} or more: 'more breathlessness' (GOLD 2023)",
                    LineKind.REFERENCE,
                ),
            ),
        ),
        description="Questionnaire totals as scored at each visit; dotted lines: the published cut-offs.",
        empty=NO_FOLLOW_UP,
    )


def rand36_chart(outcomes: OutcomeSeries) -> Chart:
    """The eight RAND-36 scales (0-100, higher is better) by visit."""
    rows = outcomes.rows
    series = tuple(
        Series(name, tuple(Point(_x(r), r.rand36.get(scale), _label(r)) for r in rows))
        for scale, name in RAND36_SCALE_NAMES.items()
    )
    return Chart(
        "chart-followup-rand36",
        "Health-related quality of life (RAND-36) across follow-up",
        "Follow-up visit",
        (Panel("RAND-36 scale", "0-100, higher is better", series),),
        description="The eight RAND-36 v1.0 scales as scored by RAND's published algorithm (Hays 1993).",
        empty="No RAND-36 recorded yet.",
    )


@dataclass(frozen=True)
class FollowUpCharts:
    """The follow-up charts of the patient page (empty when the patient has no follow-up yet)."""

    views: tuple[ChartView, ...]

    @property
    def drawn(self) -> bool:
        return any(view.figure is not None for view in self.views)


def followup_charts(outcomes: OutcomeSeries | None) -> FollowUpCharts:
    """The charts of a patient's follow-up, from its outcome series (``None``: no follow-up planned)."""
    if outcomes is None or not outcomes.rows:
        return FollowUpCharts(())
    return FollowUpCharts(
        tuple(
            chart_view(build(outcomes)) for build in (lung_function_chart, questionnaire_chart, rand36_chart)
        )
    )
