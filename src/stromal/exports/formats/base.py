"""The shape every export format shares: begin, one call per chunk of patients, end."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stromal.exports.tables import TableSpec

#: A chunk's rows: table name -> [(patient id, full row)], rows in patient order.
ChunkRows = Mapping[str, Sequence[tuple[int, list[Any]]]]


class Writer(abc.ABC):
    """Writes the exported tables into ``out_dir`` as they arrive, chunk by chunk.

    ``identified`` says whether identifying variables are written; rows arrive with
    every variable and each writer keeps ``TableSpec.columns(identified)`` of them.
    """

    def __init__(
        self, out_dir: Path, tables: Sequence[TableSpec], identified: bool, description: str
    ) -> None:
        self.out_dir = out_dir
        self.tables = tables
        self.identified = identified
        self.description = description

    @abc.abstractmethod
    def begin(self) -> None:
        """Open the files and write what comes before the data."""

    @abc.abstractmethod
    def write_chunk(self, rows: ChunkRows) -> None:
        """Write one chunk of patients' rows."""

    @abc.abstractmethod
    def end(self) -> list[Path]:
        """Finish and close; return the files written."""
