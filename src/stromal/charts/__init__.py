"""Charts of clinical values, drawn with Plotly.js, each with the same numbers in a table.

A chart is built in three steps, each a pure function of the one before
(no database, no browser), and shown by one template include:

1. **Describe** it as data (``stromal.charts.spec``): a ``Chart`` has one or
   more ``Panel`` (one y axis and unit each, stacked on a shared x axis); a
   panel has ``Series`` of ``Point(x, y, label="")``, and optionally
   ``Threshold`` lines (``LineKind.LIMIT`` red and dashed for a rule's limit,
   ``LineKind.REFERENCE`` grey and dotted for a cut-off) and a ``Band`` (a
   normal range, or the region at or above a lower limit of normal, either
   constant or given at each x with ``BandEdge``). ``Marker`` draws a
   vertical line across all panels. x is a date-time (shown in the active
   time zone), a date, a number, or a label such as a visit's name (drawn in
   the given order); one chart uses one kind. ``y`` ``None`` is "not
   recorded". The common case is one call::

       from stromal.charts import Band, BandEdge, LineKind, Threshold, chart_view, series_chart

       chart = series_chart(
           "chart-fvc", "FVC across follow-up", "FVC", "% predicted",
           [("Month 3", 71.0), ("Month 6", 78.5), ("Year 1", None)],
           x_title="Visit",
           band=Band("LLN", edges=(BandEdge("Month 3", low=80.2), BandEdge("Month 6", low=79.9))),
           thresholds=(Threshold(100.0, "predicted", "100 % of the predicted value", LineKind.REFERENCE),),
           empty="No spirometry recorded yet.",
       )
       view = chart_view(chart)  # what the page's template gets

2. **Prepare** it for a page: ``chart_view(chart) -> ChartView`` holds the
   Plotly ``figure`` dict (``stromal.charts.figure.figure``; ``None`` when
   nothing is recorded, so the page says ``chart.empty`` instead of drawing
   an empty chart), the ``table`` (``stromal.charts.table.chart_table``: one
   row per x and label, one column per series, ``—`` where not recorded), the
   drawn lines in words, and notes (a panel's ``empty`` text when that panel
   has no value but others do). Hover texts and table cells are the same
   strings (``stromal.display``).

3. **Show** it: ``{% include "charts/_chart.html" with view=view %}`` (a ``ChartView``)
   renders a ``<figure>`` with the chart's container, its figure as a
   ``json_script`` data block (``<chart id>-figure``) and the table (caption,
   column and row headers) under it. Put ``{% include "charts/_scripts.html" %}``
   once in the page's ``{% block scripts %}``: it loads Plotly.js and
   ``stromal/charts.js``, which draws every chart on the page. No inline
   script (the Content-Security-Policy allows ``script-src 'self'`` only);
   without JavaScript the tables are the page.

Plotly.js is the file the installed ``plotly`` package ships, served as the
static file ``stromal/vendor/plotly.min.js`` by ``finders.PlotlyFinder``
(listed in ``STATICFILES_FINDERS``; ``collectstatic`` copies it), never from
a CDN.
"""

from __future__ import annotations

from stromal.charts.spec import (
    Band,
    BandEdge,
    Chart,
    LineKind,
    Marker,
    Panel,
    Point,
    Series,
    Threshold,
    X,
    XKind,
    series_chart,
)
from stromal.charts.view import ChartView, chart_view

__all__ = [
    "Band",
    "BandEdge",
    "Chart",
    "ChartView",
    "LineKind",
    "Marker",
    "Panel",
    "Point",
    "Series",
    "Threshold",
    "X",
    "XKind",
    "chart_view",
    "series_chart",
]
