"""What Plotly.js needs to draw under a strict Content-Security-Policy (``style-src 'self'``).

Plotly.js writes its own stylesheet into the page when it loads: a ``<style>``
element with the library's CSS rules (``build/plotcss.js``: every SVG layer
of a plot is ``position:absolute``, the mode bar's look, ...) and one with
the map library's rules. A policy without ``'unsafe-inline'`` blocks both,
and the layers of each chart then stack instead of overlapping. Plotly.js
looks before it writes (plotly.js pull request #7109):

- for the library's rules, an element ``#plotly.js-style-global`` with the
  class ``no-inline-styles`` means "the page already has them": we give it
  ``stromal/vendor/plotly.css``, the same rules as a static file, read from
  the installed ``plotly.min.js`` (so they always match its version);
- for the map library's rules, an element with a fixed id (a hash, read from
  the same file) means the same; no chart here is a map, so an empty
  ``<span hidden>`` with that id is enough.

``PlotlyFinder`` serves ``plotly.css`` (written once per plotly.js version
under ``VAR_DIR``); ``{% plotly_guards %}`` writes the elements.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: The library's CSS rules: ``{"X,X div": "...", ...}`` followed by the loop that adds them.
_RULES = re.compile(r"=\{(\"X,X div\":.*?)\};for\(")
_PAIR = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*:\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
#: A stylesheet written only when no element has this id yet (the map library's rules).
_GUARD = re.compile(
    r'if\(!document\.getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement\("style"\)'
)
_VERSION = re.compile(r"plotly\.js v(\d+\.\d+\.\d+)")
#: The id and class that tell Plotly.js its rules are already on the page.
GLOBAL_STYLE_ID = "plotly.js-style-global"
NO_INLINE_STYLES = "no-inline-styles"


class PlotlyAssetError(RuntimeError):
    """The installed plotly.min.js no longer has the pieces this module reads (a new plotly.js layout)."""


@dataclass(frozen=True)
class PlotlyAssets:
    version: str
    css: str
    guard_ids: tuple[str, ...]


def _selector(key: str) -> str:
    # As plotly.js expands its keys: X is a plot, Y the notifier.
    return key.replace(",", " ,", 1) if key.startswith(",") else key


def assets_from_source(source: str) -> PlotlyAssets:
    """The CSS rules, the map library's guard ids and the version, read from plotly.min.js's text.

    Raises:
        PlotlyAssetError: a piece is missing.
    """
    version = _VERSION.search(source[:500])
    rules = _RULES.search(source)
    if version is None or rules is None:
        raise PlotlyAssetError("plotly.min.js: its version banner or its CSS rules were not found")
    lines = [f"/* The CSS rules of plotly.js v{version.group(1)}, read from the installed plotly.min.js. */"]
    for key, value in _PAIR.findall(rules.group(1)):
        selector = _selector(ast.literal_eval(key))
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        lines.append(f"{selector}{{{ast.literal_eval(value)}}}")
    if len(lines) < 10:
        raise PlotlyAssetError("plotly.min.js: fewer CSS rules than expected")
    return PlotlyAssets(
        version.group(1), "\n".join(lines) + "\n", tuple(dict.fromkeys(_GUARD.findall(source)))
    )


@lru_cache(maxsize=4)
def _assets(path: str, size: int, mtime_ns: int) -> PlotlyAssets:
    return assets_from_source(Path(path).read_text(encoding="utf-8"))


def plotly_assets(js: Path) -> PlotlyAssets:
    """``assets_from_source`` of the file ``js``, read once per version of the file."""
    stat = js.stat()
    return _assets(str(js), stat.st_size, stat.st_mtime_ns)


def write_css(assets: PlotlyAssets, folder: Path) -> Path:
    """``plotly.css`` in ``folder``, written when missing or different (atomically: test workers share it)."""
    target = folder / "plotly.css"
    if target.is_file() and target.read_text(encoding="utf-8") == assets.css:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".plotly.css.{os.getpid()}"
    temporary.write_text(assets.css, encoding="utf-8")
    os.replace(temporary, target)
    return target
