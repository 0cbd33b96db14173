"""On a portrait tablet (768 x 1024) the header fits in two lines for every role, nothing hidden.

Set ``STROMAL_SCREENSHOTS=<folder>`` to keep a screenshot of each role's worklist to look at.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

TABLET = {"width": 768, "height": 1024}
ROLES = ("alice", "nina", "cora", "luke", "mona", "ivan", "ada")

# The vertical centres of everything in the header, grouped into lines (a line is ~ one text height).
_HEADER_LINES = """() => {
  const items = [...document.querySelectorAll('.topbar .brand, .topbar nav a, .topbar .who, .topbar button')];
  const centres = items.map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
  centres.sort((a, b) => a - b);
  const lines = [];
  for (const c of centres) { if (!lines.length || c - lines[lines.length - 1] > 12) lines.push(c); }
  const nav = document.querySelector('.topbar nav');
  return {lines: lines.length, hidden: nav.scrollWidth - nav.clientWidth, links: items.length};
}"""


@pytest.mark.parametrize("who", ROLES)
def test_the_header_fits_in_two_lines_on_a_tablet_for_every_role(cast: Any, open_page: Any, who: str) -> None:
    page = open_page(getattr(cast, who), cast.password)
    page.set_viewport_size(TABLET)
    page.goto("/pathway/worklist/")
    measured = page.evaluate(_HEADER_LINES)
    folder = os.environ.get("STROMAL_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"tablet-{who}.png"))
    assert measured["lines"] <= 2, measured
    assert measured["hidden"] <= 0, measured  # every link visible, none scrolled out of sight
