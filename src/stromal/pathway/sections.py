"""Worklist sections: what one role must do, as a list that is shown in part but never cut short.

A section is a site-scoped, deterministically ordered query plus a way to
turn a row into a line (label, link, detail). The worklist shows the first
``WORKLIST_ROWS`` lines of each section with the section's total and a link
to the full list, which is paginated (``SECTION_PAGE_ROWS`` a page), so
nothing waiting for a user is ever silently dropped.

The total costs one ``COUNT`` only when the section has more rows than the
worklist shows; a shorter section is counted from the rows already read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from stromal.accounts.models import User

WORKLIST_ROWS = 25
SECTION_PAGE_ROWS = 50


@dataclass(frozen=True)
class Line:
    label: str
    url: str
    detail: str = ""  # shown after the link


@dataclass(frozen=True)
class SectionSpec:
    """One kind of work: who sees it, which rows, and how a row reads."""

    key: str  # also the HTML id of the section
    title: str
    roles: frozenset[str]
    rows: Callable[[User, dt.date], QuerySet[Any]]  # site-scoped and ordered (pagination needs it)
    line: Callable[[Any], Line]


@dataclass(frozen=True)
class Section:
    """A section as shown: its first lines and the total."""

    key: str
    title: str
    lines: Sequence[Line]
    total: int

    @property
    def has_more(self) -> bool:
        return self.total > len(self.lines)


def section_head(spec: SectionSpec, user: User, today: dt.date, n: int = WORKLIST_ROWS) -> Section:
    """The first ``n`` lines of a section and its total (one query, two when there are more)."""
    qs = spec.rows(user, today)
    rows = list(qs[: n + 1])
    total = len(rows) if len(rows) <= n else qs.count()
    return Section(spec.key, spec.title, [spec.line(r) for r in rows[:n]], total)


def visible(specs: Sequence[SectionSpec], role: str) -> list[SectionSpec]:
    return [s for s in specs if role in s.roles]
