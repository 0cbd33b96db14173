"""Tables and figures of the analytics pages: sorted and paged on the server, downloadable as CSV.

A ``Table`` holds every row of a result (results are aggregates, or one row per
patient of the cohort: small enough to hold); a page shows one sorted page of it.
Each table reads its own query-string keys (``<id>-sort``, ``<id>-page``), so several
tables on one page sort and page independently. A ``Figure`` is a Plotly figure
(plain data) with the table of the numbers it draws, which is also its CSV download.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import QueryDict

PER_PAGE = 25


@dataclass(frozen=True)
class Cell:
    """A value shown as ``text`` but sorted by ``sort`` (a CI shown with its estimate)."""

    text: str
    sort: float | str | None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


def _sort_key(value: Any) -> tuple[int, Any]:
    """Empty cells last; numbers by value; text by its folded form."""
    if isinstance(value, Cell):
        value = value.sort
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return (2, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).casefold())


def csv_value(value: Any) -> Any:
    """A cell as it goes into the CSV download (numbers stay numbers)."""
    if isinstance(value, Cell):
        return value.text
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return ""
    return value


def shown(value: Any) -> str:
    """A cell as a page shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:.0f}"
    return str(value)


@dataclass
class Table:
    """Rows of raw values under labelled columns; sorted by ``sort`` (a column key, ``-`` for descending)."""

    id: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""
    per_page: int = PER_PAGE
    default_sort: str = ""

    def sorted_rows(self, sort: str) -> list[list[Any]]:
        keys = [c.key for c in self.columns]
        name = sort.lstrip("-")
        if name not in keys:
            return self.rows
        index = keys.index(name)
        return sorted(self.rows, key=lambda row: _sort_key(row[index]), reverse=sort.startswith("-"))

    def view(self, params: Mapping[str, str]) -> TableView:
        sort = params.get(f"{self.id}-sort", self.default_sort) or self.default_sort
        if sort.lstrip("-") not in {c.key for c in self.columns}:
            sort = self.default_sort
        paginator = Paginator(self.sorted_rows(sort), self.per_page)
        page = paginator.get_page(params.get(f"{self.id}-page"))
        return TableView(self, sort, page)

    def csv_header(self) -> list[str]:
        return [c.label for c in self.columns]

    def csv_rows(self) -> list[list[Any]]:
        return [[csv_value(v) for v in row] for row in self.rows]


@dataclass(frozen=True)
class HeaderLink:
    label: str
    query: str
    state: str  # "ascending", "descending" or "none" (aria-sort)
    numeric: bool


@dataclass
class TableView:
    """One sorted page of a table, with the links that re-sort it and turn its pages."""

    table: Table
    sort: str
    page: Page[list[Any]]
    base: QueryDict = field(default_factory=lambda: QueryDict(mutable=True))

    def bind(self, query: QueryDict) -> TableView:
        self.base = query.copy()
        return self

    def _query(self, **changes: str) -> str:
        q = self.base.copy()
        for key, value in changes.items():
            q[key] = value
        return q.urlencode()

    def headers(self) -> list[HeaderLink]:
        out = []
        for column in self.table.columns:
            current = self.sort.lstrip("-") == column.key
            descending = current and self.sort.startswith("-")
            state = ("descending" if descending else "ascending") if current else "none"
            target = column.key if (not current or descending) else f"-{column.key}"
            out.append(
                HeaderLink(
                    column.label,
                    self._query(**{f"{self.table.id}-sort": target, f"{self.table.id}-page": "1"}),
                    state,
                    column.numeric,
                )
            )
        return out

    def cells(self) -> list[list[tuple[str, bool]]]:
        """This page's rows as (text shown, numeric column) pairs: a numeric cell is right-aligned
        under its right-aligned header."""
        numeric = [column.numeric for column in self.table.columns]
        return [[(shown(v), n) for v, n in zip(row, numeric, strict=False)] for row in self.page.object_list]

    def page_query(self, number: int) -> str:
        return self._query(**{f"{self.table.id}-page": str(number)})

    def previous_query(self) -> str:
        return self.page_query(self.page.previous_page_number()) if self.page.has_previous() else ""

    def next_query(self) -> str:
        return self.page_query(self.page.next_page_number()) if self.page.has_next() else ""


@dataclass
class Figure:
    """A Plotly figure (``{"data": [...], "layout": {...}}``) and the table of what it draws."""

    id: str
    title: str
    plotly: dict[str, Any]
    data: Table


@dataclass
class Report:
    """What one analytics page shows: figures, tables and notes on method."""

    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table_named(self, name: str) -> Table | None:
        """The table ``name``, or the data of figure ``name`` (its CSV download)."""
        for figure in self.figures:
            if figure.id == name:
                return figure.data
        for table in self.tables:
            if table.id == name:
                return table
        return None


def columns(*spec: tuple[str, str] | tuple[str, str, bool]) -> list[Column]:
    return [Column(*s) for s in spec]


def round_or_none(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def numbers(values: Sequence[float | None]) -> list[float | None]:
    """Plain floats for a Plotly trace (NaN and infinity as gaps)."""
    return [None if v is None or math.isnan(v) or math.isinf(v) else float(v) for v in values]
