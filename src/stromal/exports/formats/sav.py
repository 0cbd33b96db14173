"""SPSS ``.sav``, one file per table, with variable labels (label and unit) and value labels
(pyreadstat). Coded variables become numbers 1..k labelled with their values, as SPSS users
expect (REDCap's SPSS export does the same); yes/no becomes 1/0 labelled Yes/No.

SPSS files are written whole, so each table's columns are gathered chunk by chunk in compact
arrays (numbers as 8-byte floats, repeated text shared) and written at the end: memory grows
with the table, about 8 bytes per number and per text cell.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from pathlib import Path
from typing import Any

from stromal.exports.formats.base import ChunkRows, Writer
from stromal.exports.tables import TableSpec, Variable, VarType

MEASURE = {
    VarType.NUMBER: "scale",
    VarType.INTEGER: "scale",
    VarType.CHOICE: "nominal",
    VarType.BOOLEAN: "nominal",
    VarType.TEXT: "nominal",
    VarType.DATE: "scale",
}


class _Column:
    """One variable's values, gathered compactly."""

    def __init__(self, variable: Variable) -> None:
        self.variable = variable
        self.numbers = array("d")
        self.texts: list[str] = []
        self.dates: list[dt.date | None] = []
        self.shared: dict[str, str] = {}
        self.codes: dict[str, int] = {code: i + 1 for i, (code, _) in enumerate(variable.choices)}
        self.labels: dict[int, str] = {i + 1: label for i, (_, label) in enumerate(variable.choices)}

    def extend(self, values: tuple[Any, ...]) -> None:
        """Add a chunk's values of this variable (the common types in one pass)."""
        kind = self.variable.type
        if kind in (VarType.NUMBER, VarType.INTEGER, VarType.BOOLEAN):
            self.numbers.extend(math.nan if v is None or v == "" else float(v) for v in values)
        elif kind is VarType.TEXT:
            shared = self.shared
            self.texts.extend(shared.setdefault(t, t) for t in ("" if v is None else str(v) for v in values))
        else:
            for value in values:
                self.add(value)

    def add(self, value: Any) -> None:
        kind = self.variable.type
        if kind is VarType.DATE:
            self.dates.append(value if isinstance(value, dt.date) else None)
        elif kind is VarType.TEXT:
            text = "" if value is None else str(value)
            self.texts.append(self.shared.setdefault(text, text))
        elif kind is VarType.CHOICE:
            if value in (None, ""):
                self.numbers.append(math.nan)
                return
            text = str(value)
            if text not in self.codes:  # a value outside the list: kept, with itself as its label
                self.codes[text] = len(self.codes) + 1
                self.labels[self.codes[text]] = text
            self.numbers.append(float(self.codes[text]))
        else:
            self.numbers.append(math.nan if value is None or value == "" else float(value))

    def series(self) -> Any:
        import numpy as np
        import pandas as pd

        kind = self.variable.type
        if kind is VarType.DATE:
            return pd.to_datetime(pd.Series(self.dates, dtype="object"))
        if kind is VarType.TEXT:
            return pd.Series(self.texts, dtype="object")
        return pd.Series(
            np.frombuffer(self.numbers, dtype=np.float64) if len(self.numbers) else np.array([], float)
        )

    def value_labels(self) -> dict[float, str] | None:
        if self.variable.type is VarType.BOOLEAN:
            return {1.0: "Yes", 0.0: "No"}
        if self.variable.type is VarType.CHOICE:
            return {float(code): label for code, label in self.labels.items()}
        return None

    def label(self) -> str:
        unit = f" ({self.variable.unit})" if self.variable.unit else ""
        return f"{self.variable.label}{unit}"


class SavWriter(Writer):
    def begin(self) -> None:
        self._columns: dict[str, list[_Column]] = {
            t.name: [_Column(v) for v in t.columns(self.identified)] for t in self.tables
        }

    def write_chunk(self, rows: ChunkRows) -> None:
        for table in self.tables:
            columns = self._columns[table.name]
            select = table.select(self.identified)
            chunk = [select(row) for _, row in rows.get(table.name, ())]
            if not chunk:
                continue
            for column, values in zip(columns, zip(*chunk, strict=True), strict=True):
                column.extend(values)

    def _write(self, table: TableSpec, columns: list[_Column]) -> Path:
        import pandas as pd  # imported when a file is written: pandas takes seconds to load
        import pyreadstat

        path = self.out_dir / f"{table.name}.sav"
        # copy=False: the columns are not consolidated into one block (a copy of every number).
        frame = pd.DataFrame({c.variable.name: c.series() for c in columns}, copy=False)
        labels = {c.variable.name: c.value_labels() for c in columns}
        pyreadstat.write_sav(
            frame,
            path,
            file_label=f"Stromal: {table.label}",
            column_labels={c.variable.name: c.label() for c in columns},
            variable_value_labels={k: v for k, v in labels.items() if v},
            variable_measure={c.variable.name: MEASURE[c.variable.type] for c in columns},
            note=self.description,
        )
        return path

    def end(self) -> list[Path]:
        paths = []
        for table in self.tables:
            columns = self._columns.pop(table.name)
            paths.append(self._write(table, columns))
            del columns
        return paths
