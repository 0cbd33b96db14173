"""Plotly.js served from the installed ``plotly`` Python package: no copy in the repository, no CDN.

The ``plotly`` package ships the minified library as package data
(``plotly/package_data/plotly.min.js``, the file ``plotly.offline.get_plotlyjs``
reads). ``PlotlyFinder`` offers exactly that file as the static file
``stromal/vendor/plotly.min.js``, and next to it ``stromal/vendor/plotly.css``,
the library's own CSS rules read from that file (``plotly_assets``: what
lets the charts draw under ``style-src 'self'``), written once per version
under ``VAR_DIR/generated/``. WhiteNoise serves both through the finders in
development and tests (``WHITENOISE_USE_FINDERS``), and ``collectstatic``
copies them into ``STATIC_ROOT`` for production like any other static file.
So a page always gets the Plotly.js of the pinned ``plotly`` version.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, overload

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

from stromal.charts.plotly_assets import PlotlyAssetError, plotly_assets, write_css

PLOTLY_STATIC_DIR = "stromal/vendor"
PLOTLY_JS = "plotly.min.js"
PLOTLY_CSS = "plotly.css"


def plotly_js_file() -> Path | None:
    """The installed ``plotly`` package's ``plotly.min.js`` (found without importing the package)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / PLOTLY_JS
    return path if path.is_file() else None


def plotly_css_file() -> Path:
    """``plotly.css`` for the installed plotly.js, written if needed.

    Raises:
        PlotlyAssetError: plotly.min.js is missing or its CSS rules cannot be read.
    """
    js = plotly_js_file()
    if js is None:
        raise PlotlyAssetError(f"{PLOTLY_JS} was not found in the installed plotly package")
    assets = plotly_assets(js)
    return write_css(assets, Path(settings.VAR_DIR) / "generated" / "plotly" / assets.version)


class PlotlyFinder(BaseFinder):
    """Finds ``stromal/vendor/plotly.min.js`` and ``stromal/vendor/plotly.css``, and nothing else."""

    def _files(self) -> dict[str, Path]:
        js = plotly_js_file()
        if js is None:
            return {}
        try:
            return {PLOTLY_JS: js, PLOTLY_CSS: plotly_css_file()}
        except (PlotlyAssetError, OSError):  # said by check(); the library itself is still served
            return {PLOTLY_JS: js}

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        try:
            plotly_css_file()
        except (PlotlyAssetError, OSError) as exc:
            return [
                Error(
                    f"the charts cannot be drawn: {exc}",
                    hint="make install (plotly is pinned in requirements.lock)",
                    id="stromal.charts.E001",
                )
            ]
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str] | None:
        folder, _, name = path.rpartition("/")
        found = self._files().get(name) if folder == PLOTLY_STATIC_DIR else None
        if find_all:
            return [str(found)] if found else []
        return str(found) if found else None

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for name, path in self._files().items():
            storage = FileSystemStorage(location=path.parent)
            storage.prefix = PLOTLY_STATIC_DIR  # type: ignore[attr-defined]  # read by collectstatic and WhiteNoise
            yield name, storage
