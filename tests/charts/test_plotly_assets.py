"""Plotly.js's CSS and the guards that keep it from writing <style> elements are read from plotly.min.js."""

from __future__ import annotations

from pathlib import Path

import plotly.offline
import pytest

from stromal.charts.finders import plotly_js_file
from stromal.charts.plotly_assets import PlotlyAssetError, assets_from_source, plotly_assets, write_css

# The shape of plotly.min.js around what we read (plotly.js build/plotcss.js and the map library's loader).
SOURCE = (
    "/**\n* plotly.js v9.8.7\n*/\n"
    'var I0e={"X,X div":\'direction:ltr;margin:0;\',"X .main-svg":"position:absolute;top:0;",'
    '"Y .notifier-note":"color:#fff;",",X a":"x:y;"};for(bV in I0e)R0e=bV;'
    'function f(){if(!document.getElementById("' + "ab" * 32 + '")){var e=document.createElement("style")}}'
)


def test_the_rules_are_expanded_as_plotly_js_expands_them() -> None:
    with pytest.raises(PlotlyAssetError, match="fewer CSS rules"):
        assets_from_source(SOURCE)  # four rules: too few to be the real list
    many = SOURCE.replace(
        '",X a":"x:y;"', ",".join(f'"X .r{i}":"z:{i};"' for i in range(10)) + ',",X a":"x:y;"'
    )
    assets = assets_from_source(many)
    assert assets.version == "9.8.7" and assets.guard_ids == ("ab" * 32,)
    css = assets.css.splitlines()
    assert ".js-plotly-plot .plotly,.js-plotly-plot .plotly div{direction:ltr;margin:0;}" in css
    assert ".js-plotly-plot .plotly .main-svg{position:absolute;top:0;}" in css
    assert ".plotly-notifier .notifier-note{color:#fff;}" in css
    assert " ,.js-plotly-plot .plotly a{x:y;}" in css


def test_a_plotly_js_without_its_rules_is_refused_by_name() -> None:
    with pytest.raises(PlotlyAssetError, match="CSS rules were not found"):
        assets_from_source("/**\n* plotly.js v1.0.0\n*/ nothing here")


def test_the_installed_plotly_js_gives_its_rules_and_its_map_guard() -> None:
    js = plotly_js_file()
    assert js is not None
    assets = plotly_assets(js)
    assert f"plotly.js v{assets.version}" in plotly.offline.get_plotlyjs()[:200]
    assert ".js-plotly-plot .plotly .main-svg{position:absolute;" in assets.css
    assert assets.guard_ids and all(len(i) == 64 for i in assets.guard_ids)


def test_the_css_file_is_written_once_and_rewritten_when_it_differs(tmp_path: Path) -> None:
    js = plotly_js_file()
    assert js is not None
    assets = plotly_assets(js)
    path = write_css(assets, tmp_path)
    assert path.read_text(encoding="utf-8") == assets.css
    path.write_text("stale", encoding="utf-8")
    assert write_css(assets, tmp_path).read_text(encoding="utf-8") == assets.css
    assert [p.name for p in tmp_path.iterdir()] == ["plotly.css"]
