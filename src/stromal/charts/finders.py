"""Plotly.js served from the installed ``plotly`` Python package: no copy in the repository, no CDN.

The ``plotly`` package ships the minified library as package data
(``plotly/package_data/plotly.min.js``, the file ``plotly.offline.get_plotlyjs``
reads). ``PlotlyFinder`` offers exactly that one file as the static file
``PLOTLY_STATIC_PATH``: WhiteNoise serves it through the finders in
development and tests (``WHITENOISE_USE_FINDERS``), and ``collectstatic``
copies it into ``STATIC_ROOT`` for production like any other static file.
So the page always gets the Plotly.js of the pinned ``plotly`` version.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, overload

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_DIR = "stromal/vendor"
PLOTLY_FILE = "plotly.min.js"
PLOTLY_STATIC_PATH = f"{PLOTLY_STATIC_DIR}/{PLOTLY_FILE}"


def plotly_package_data() -> Path | None:
    """The ``package_data`` folder of the installed ``plotly`` package (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "package_data"


class PlotlyFinder(BaseFinder):
    """Finds ``stromal/vendor/plotly.min.js`` in the installed ``plotly`` package, and nothing else."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.root = plotly_package_data()

    def _file(self) -> Path | None:
        if self.root is None:
            return None
        path = self.root / PLOTLY_FILE
        return path if path.is_file() else None

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if self._file() is None:
            return [
                Error(
                    f"{PLOTLY_FILE} was not found in the installed plotly package ({self.root}); "
                    "the patient page's charts need it (make install)",
                    id="stromal.charts.E001",
                )
            ]
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str] | None:
        found = self._file() if path == PLOTLY_STATIC_PATH else None
        if find_all:
            return [str(found)] if found else []
        return str(found) if found else None

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        if self._file() is None or self.root is None:
            return
        storage = FileSystemStorage(location=self.root)
        storage.prefix = PLOTLY_STATIC_DIR  # type: ignore[attr-defined]  # read by collectstatic and WhiteNoise
        yield PLOTLY_FILE, storage
