"""The forecast drawn: P/F to day 28 and survival to day 90, one panel per arm (without and with the
plan's arm), the median and the 50 % band as lines, the 90 % band shaded. Pure functions of the stored
forecast (``PlanForecast.result``) to ``stromal.charts`` charts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stromal.charts import Band, BandEdge, Chart, ChartView, Panel, Point, Series, chart_view


def _panel(title: str, unit: str, band: Mapping[str, Any], scale: float = 1.0) -> Panel:
    days = band["days"]

    def points(key: str) -> tuple[Point, ...]:
        return tuple(
            Point(float(d), None if v is None else round(v * scale, 3))
            for d, v in zip(days, band[key], strict=True)
        )

    edges = tuple(
        BandEdge(float(d), low=lo * scale, high=hi * scale)
        for d, lo, hi in zip(days, band["q05"], band["q95"], strict=True)
        if lo is not None and hi is not None
    )
    return Panel(
        title,
        unit,
        (
            Series(f"{title}: median", points("q50")),
            Series(f"{title}: 25th centile", points("q25")),
            Series(f"{title}: 75th centile", points("q75")),
        ),
        band=Band("90 % band", edges=edges) if edges else None,
    )


def _arm_title(name: str, arm_name: str) -> str:
    return "Without the MSC arm" if name == "without" else f"With {arm_name}"


def forecast_charts(result: Mapping[str, Any], arm_name: str) -> list[ChartView]:
    """The P/F and survival charts of a comparable forecast (none when it is not comparable)."""
    if not result.get("comparable"):
        return []
    arms = result["arms"]
    pf = Chart(
        "forecast-pf",
        "Predicted P/F ratio to day 28 (virtual patients alive that day)",
        "Day after the examination",
        tuple(_panel(_arm_title(a, arm_name), "mmHg", bands["pf_ratio_mmhg"]) for a, bands in arms.items()),
        description="Median, 25th and 75th centiles (lines) and 5th to 95th centiles (shaded) of the "
        "model's P/F among comparable virtual patients.",
    )
    survival = Chart(
        "forecast-survival",
        "Predicted survival to day 90",
        "Day after the examination",
        tuple(_panel(_arm_title(a, arm_name), "%", bands["survival"], 100.0) for a, bands in arms.items()),
        description="The model's survival probability among comparable virtual patients; lines: estimate "
        "and 50 % interval, shaded: 90 % interval (Bayesian bootstrap over the virtual patients).",
    )
    return [chart_view(pf), chart_view(survival)]


def one_year_rows(result: Mapping[str, Any], arm_name: str) -> list[dict[str, Any]]:
    """FVC and DLCO (% predicted) at one year per arm: median, 50 % and 90 % bands."""
    rows = []
    for a, bands in result.get("arms", {}).items():
        for key, label in (("fvc_pct_1y", "FVC at 1 year"), ("dlco_pct_1y", "DLCO at 1 year")):
            if key in bands:
                b = bands[key]
                rows.append(
                    {
                        "arm": _arm_title(a, arm_name),
                        "label": label,
                        "q50": b["q50"][0],
                        "q25": b["q25"][0],
                        "q75": b["q75"][0],
                        "q05": b["q05"][0],
                        "q95": b["q95"][0],
                    }
                )
    return rows
