"""The package docstring's example is the API the follow-up charts will use: it runs and draws."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import stromal.charts


def test_the_documented_example_builds_a_chart_with_its_lln_line_and_table() -> None:
    doc = stromal.charts.__doc__ or ""
    block = re.search(r"one call::\n\n(.*?)\n\n2\. ", doc, re.S)
    assert block, "the example is where the docstring says"
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(block.group(1)), namespace)  # the docstring's own code, nothing else
    view = namespace["view"]
    assert view.figure is not None
    lln, fvc = view.figure["data"]
    assert lln["name"] == "LLN" and lln["y"] == [80.2, 79.9] and fvc["y"] == [71.0, 78.5]
    assert [r.heading for r in view.table.rows] == ["Month 3", "Month 6", "Year 1"]
    assert view.table.rows[2].cells == ("—", "—")
