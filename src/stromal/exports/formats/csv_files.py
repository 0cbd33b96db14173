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
from stromal.exports.tables import DICTIONARY_COLUMNS, VarType, dictionary_rows


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


#: One converter per variable type, so each cell costs one call (the same results as ``cell``).
CONVERTERS: dict[VarType, Callable[[Any], Any]] = {
    VarType.TEXT: _text,
    VarType.CHOICE: _text,
    VarType.INTEGER: _number,
    VarType.NUMBER: _number,
    VarType.BOOLEAN: _yes_no,
    VarType.DATE: cell,
}


class CsvWriter(Writer):
    def begin(self) -> None:
        self._files: dict[str, tuple[IO[str], Any]] = {}
        self._paths: list[Path] = []
        for table in self.tables:
            path = self.out_dir / f"{table.name}.csv"
            handle = path.open("w", newline="", encoding="utf-8")
            writer = csv.writer(handle)
            writer.writerow([v.name for v in table.columns(self.identified)])
            self._files[table.name] = (handle, writer)
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
            select = table.select(self.identified)
            converters = [CONVERTERS[v.type] for v in table.columns(self.identified)]
            writer.writerows(
                [f(v) for f, v in zip(converters, select(row), strict=True)]
                for _, row in rows.get(table.name, ())
            )

    def end(self) -> list[Path]:
        for handle, _ in self._files.values():
            handle.close()
        return self._paths
