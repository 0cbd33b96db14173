"""A chart renders as a <figure>: its data block (as json_script writes it), its table, no inline script."""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.utils.html import json_script

from stromal.charts import Chart, Panel, Point, Series, Threshold, chart_view
from stromal.charts.finders import plotly_js_file
from stromal.charts.plotly_assets import plotly_assets
from stromal.charts.templatetags.charts import figure_script, plotly_guards


def _view() -> object:
    series = Series("FiO2", (Point(0, 0.4, "Baseline <start>"), Point(15, 0.45, "15 min & on")))
    panel = Panel("FiO2", "fraction", (series,), (Threshold(0.6, "stop > 0.6 & rising", "rule </script>"),))
    return chart_view(Chart("chart-x", "FiO2 & co", "Minutes", (panel,)))


def test_the_data_block_is_byte_for_byte_what_json_script_writes() -> None:
    view = _view()
    assert figure_script(view) == json_script(view.figure, "chart-x-figure")  # type: ignore[attr-defined]


def test_a_chart_renders_its_container_data_block_and_table_with_caption_and_headers() -> None:
    html = render_to_string("charts/_chart.html", {"view": _view()})
    assert 'data-chart="chart-x-figure"' in html and 'id="chart-x-figure" type="application/json"' in html
    assert "<caption>FiO2 &amp; co</caption>" in html
    assert '<th scope="col">FiO2 (fraction)</th>' in html and '<th scope="row">15 min &amp; on</th>' in html
    assert "<td>0.45</td>" in html
    assert (
        "rule &lt;/script&gt;" in html
        and "</script>" not in html.split("application/json")[1].split("</script>")[0]
    )
    # Every <script> is a data block: no code runs from the page itself.
    assert re.findall(r"<script(?![^>]*type=\"application/json\")", html) == []


def test_an_empty_chart_renders_its_words_and_no_table() -> None:
    empty = chart_view(Chart("e", "Nothing yet", "Minutes", (), empty="No vitals recorded yet."))
    html = render_to_string("charts/_chart.html", {"view": empty})
    assert "No vitals recorded yet." in html and "<table" not in html and "data-chart" not in html


def test_the_scripts_load_plotly_from_this_server_with_its_css_marked_for_a_strict_csp() -> None:
    html = render_to_string("charts/_scripts.html")
    assert '<script src="/static/stromal/vendor/plotly.min.js" defer>' in html
    assert '<script src="/static/stromal/charts.js" defer>' in html
    assert (
        'id="plotly.js-style-global" class="no-inline-styles" href="/static/stromal/vendor/plotly.css"'
        in html
    )
    js = plotly_js_file()
    assert js is not None
    for guard in plotly_assets(js).guard_ids:
        assert f'<span hidden id="{guard}"></span>' in str(plotly_guards())
    assert "http" not in html  # nothing from another server
