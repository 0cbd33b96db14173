"""Plotly.js is a static file from the installed plotly package (no copy in the repository, no CDN)."""

from __future__ import annotations

from typing import Any

import plotly.offline
import pytest
from django.contrib.staticfiles import finders

from stromal.charts.finders import PlotlyFinder, plotly_js_file


def test_the_finder_serves_the_plotly_js_the_plotly_package_ships() -> None:
    found = finders.find("stromal/vendor/plotly.min.js")
    assert isinstance(found, str)
    with open(found, encoding="utf-8") as f:
        assert f.read() == plotly.offline.get_plotlyjs()


def test_the_finder_offers_plotly_js_and_its_css_and_nothing_else() -> None:
    finder = PlotlyFinder()
    assert sorted(name for name, _ in finder.list(None)) == ["plotly.css", "plotly.min.js"]
    assert all(storage.prefix == "stromal/vendor" for _, storage in finder.list(None))
    assert finder.find("stromal/vendor/widgetbundle.js") is None
    assert finder.find("plotly.min.js") is None
    assert finder.find("stromal/vendor/plotly.min.js", find_all=True) == [str(plotly_js_file())]
    assert finder.check() == []


def test_the_repository_holds_no_copy_of_plotly_js() -> None:
    hits = [p for p in finders.get_finder("django.contrib.staticfiles.finders.FileSystemFinder").list(None)]
    hits += [
        p for p in finders.get_finder("django.contrib.staticfiles.finders.AppDirectoriesFinder").list(None)
    ]
    assert not [path for path, _ in hits if "plotly" in path.lower()]


@pytest.mark.django_db
def test_plotly_js_and_its_css_are_served_from_this_server(client: Any) -> None:
    js = client.get("/static/stromal/vendor/plotly.min.js")
    css = client.get("/static/stromal/vendor/plotly.css")
    assert js.status_code == 200 and b"".join(js.streaming_content).startswith(b"/**\n* plotly.js v")
    assert css.status_code == 200 and b".main-svg{position:absolute" in b"".join(css.streaming_content)
