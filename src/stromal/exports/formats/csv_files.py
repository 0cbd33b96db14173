"""CSV: one file per table plus ``data_dictionary.csv``; cells that could start a spreadsheet
formula are neutralised (``stromal.csv_export.safe_cell``). Yes/no values are written 1/0 and
dates ISO 8601, as the data dictionary says."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from stromal.csv_export import FORMULA_PREFIXES, safe_cell
from stromal.exports.formats.base import ChunkRows, Writer
from stromal.exports.tables import DICTIONARY_COLUMNS, TableSpec, VarType, dictionary_rows


def cell(value: Any) -> Any:
    """A value as it goes into an export CSV."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(value)


def _number(value: Any) -> Any:
    return "" if value is None else value


def _yes_no(value: Any) -> Any:
    return "" if value is None else (1 if value else 0)


def _text(value: Any) -> Any:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


#: The first characters of ``FORMULA_PREFIXES`` (a cell starting otherwise is safe as it is).
FIRST_CHARACTERS = frozenset(prefix[0] for prefix in FORMULA_PREFIXES)
#: One converter per variable type (the same results as ``cell``).
CONVERTERS: dict[VarType, Callable[[Any], Any]] = {
    VarType.TEXT: _text,
    VarType.CHOICE: _text,
    VarType.INTEGER: _number,
    VarType.NUMBER: _number,
    VarType.BOOLEAN: _yes_no,
    VarType.DATE: cell,
}


def row_writer(table: TableSpec, identified: bool) -> Callable[[list[Any]], list[Any]]:
    """From a full row of ``table`` (every variable), the cells of ``table.columns(identified)``.

    The same cells as ``CONVERTERS`` gives, with the work per cell cut to what changes it: numbers go
    in as they are (the ``csv`` module writes None as an empty cell, as ``_number`` does), text that
    is already plain and safe is kept, and only yes/no and date cells are converted one by one.
    """
    variables = table.columns(identified)
    keep = [i for i, v in enumerate(table.variables) if identified or not v.identifying]
    texts = [j for j, v in enumerate(variables) if CONVERTERS[v.type] is _text]
    others = [
        (j, CONVERTERS[v.type]) for j, v in enumerate(variables) if v.type in (VarType.BOOLEAN, VarType.DATE)
    ]

    def convert(row: list[Any]) -> list[Any]:
        out = [row[i] for i in keep]
        for j in texts:
            value = out[j]
            if value.__class__ is not str or value[:1] in FIRST_CHARACTERS:
                out[j] = _text(value)
        for j, to_cell in others:
            out[j] = to_cell(out[j])
        return out

    return convert


class CsvWriter(Writer):
    def begin(self) -> None:
        self._files: dict[str, tuple[IO[str], Any]] = {}
        self._rows: dict[str, Callable[[list[Any]], list[Any]]] = {}
        self._paths: list[Path] = []
        for table in self.tables:
            path = self.out_dir / f"{table.name}.csv"
            handle = path.open("w", newline="", encoding="utf-8")
            writer = csv.writer(handle)
            writer.writerow([v.name for v in table.columns(self.identified)])
            self._files[table.name] = (handle, writer)
            self._rows[table.name] = row_writer(table, self.identified)
            self._paths.append(path)
        path = self.out_dir / "data_dictionary.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(DICTIONARY_COLUMNS)
            for row in dictionary_rows(self.identified):
                writer.writerow([cell(v) for v in row])
        self._paths.append(path)

    def write_chunk(self, rows: ChunkRows) -> None:
        for table in self.tables:
            _, writer = self._files[table.name]
            convert = self._rows[table.name]
            writer.writerows(convert(row) for _, row in rows.get(table.name, ()))

    def end(self) -> list[Path]:
        for handle, _ in self._files.values():
            handle.close()
        return self._paths
