"""Export formats: one module per format behind a small base (``base.Writer``) and a registry.

To add a format, copy the module of a similar one (a file per table: ``csv_files``; one
document: ``odm``), implement ``begin`` / ``write_chunk`` / ``end``, and add it to ``WRITERS``.
"""

from __future__ import annotations

from stromal.exports.formats.base import Writer
from stromal.exports.formats.csv_files import CsvWriter
from stromal.exports.formats.odm import OdmWriter
from stromal.exports.formats.sav import SavWriter

#: Format code (``stromal export --format``) -> its writer.
WRITERS: dict[str, type[Writer]] = {"csv": CsvWriter, "sav": SavWriter, "odm": OdmWriter}

__all__ = ["WRITERS", "Writer"]
