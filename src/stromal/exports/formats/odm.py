"""CDISC ODM 1.3.2 (``odm.xml``): the study's metadata (``MetaDataVersion``) and its data
(``ClinicalData``), streamed with the standard library's SAX writer (``XMLGenerator``), so the
document never sits in memory whole.

Mapping: each exported table is a form with one item group of the same name; its variables
are the item definitions (``IT.<TABLE>.<VARIABLE>``, named as in ``data_dictionary.csv``); the
study id is the ``SubjectKey``. ``patients`` is the non-repeating enrolment event; visits and
administrations are repeating events keyed by their number; adverse events and observations
are repeating item groups. Coded variables refer to code lists, yes/no to ``CL.YESNO``
(1/0), units to ``MeasurementUnit``s. Source: CDISC Operational Data Model (ODM) Version
1.3.2, Final, 2013 (https://www.cdisc.org/standards/data-exchange/odm).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import XMLGenerator, quoteattr

from django.utils import timezone

from stromal import __version__
from stromal.exports.formats.base import ChunkRows, Writer
from stromal.exports.tables import TableSpec, Variable, VarType

ODM_NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"
STUDY_OID = "ST.STROMAL"
METADATA_OID = "MDV.STROMAL.1"
DATA_TYPES = {
    VarType.TEXT: "text",
    VarType.INTEGER: "integer",
    VarType.NUMBER: "float",
    VarType.BOOLEAN: "integer",
    VarType.CHOICE: "text",
    VarType.DATE: "date",
}
YESNO_OID = "CL.YESNO"
#: table -> (event OID, event name, repeating event?)
EVENTS: dict[str, tuple[str, str, bool]] = {
    "patients": ("SE.ENROLMENT", "Enrolment (Day 1)", False),
    "visits": ("SE.FOLLOWUP", "Follow-up visit", True),
    "administrations": ("SE.ADMINISTRATION", "Administration", True),
    "adverse_events": ("SE.SAFETY", "Adverse events", False),
    "observations_long": ("SE.OBSERVATIONS", "Recorded values", False),
}


def form_oid(table: TableSpec) -> str:
    return f"F.{table.name.upper()}"


def group_oid(table: TableSpec) -> str:
    return f"IG.{table.name.upper()}"


def item_oid(table: TableSpec, variable: Variable) -> str:
    return f"IT.{table.name.upper()}.{variable.name.upper()}"


def codelist_oid(table: TableSpec, variable: Variable) -> str:
    return f"CL.{table.name.upper()}.{variable.name.upper()}"


def odm_value(value: Any) -> str | None:
    """A value as ODM writes it (None: no ItemData at all)."""
    if value.__class__ is str:  # most values: the checks below would give the same
        return value or None
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


class OdmWriter(Writer):
    def begin(self) -> None:
        self.path = self.out_dir / "odm.xml"
        self._layouts: dict[str, tuple[Callable[[list[Any]], list[Any]], list[tuple[int, str]]]] = {}
        self._handle: IO[str] = self.path.open("w", encoding="utf-8")
        self._xml = XMLGenerator(self._handle, encoding="utf-8", short_empty_elements=True)
        self._xml.startDocument()
        now = timezone.now().isoformat(timespec="seconds")
        self._start(
            "ODM",
            xmlns=ODM_NAMESPACE,
            ODMVersion="1.3.2",
            FileType="Snapshot",
            FileOID=f"STROMAL.EXPORT.{timezone.now():%Y%m%dT%H%M%S}",
            CreationDateTime=now,
            Originator="Stromal",
            SourceSystem="Stromal",
            SourceSystemVersion=__version__,
        )
        self._metadata()
        self._start("ClinicalData", StudyOID=STUDY_OID, MetaDataVersionOID=METADATA_OID)
        self._xml.ignorableWhitespace("\n")  # closes the start tag: the subjects are written as text

    # --- writing helpers -----------------------------------------------------------------------

    def _start(self, name: str, **attrs: str) -> None:
        self._xml.startElement(name, attrs)  # type: ignore[arg-type]

    def _end(self, name: str) -> None:
        self._xml.endElement(name)

    def _empty(self, name: str, **attrs: str) -> None:
        self._start(name, **attrs)
        self._end(name)

    def _text(self, name: str, text: str, **attrs: str) -> None:
        self._start(name, **attrs)
        self._xml.characters(text)
        self._end(name)

    def _translated(self, wrapper: str, text: str) -> None:
        self._start(wrapper)
        self._text("TranslatedText", text, **{"xml:lang": "en"})
        self._end(wrapper)

    # --- metadata ------------------------------------------------------------------------------

    def _metadata(self) -> None:
        self._start("Study", OID=STUDY_OID)
        self._start("GlobalVariables")
        self._text("StudyName", "Stromal registry")
        self._text("StudyDescription", f"Registry export: {self.description}")
        self._text("ProtocolName", "Stromal MSC therapy of ARDS registry")
        self._end("GlobalVariables")
        units = sorted({v.unit for t in self.tables for v in t.columns(self.identified) if v.unit})
        self._units = {unit: f"MU.{i + 1}" for i, unit in enumerate(units)}
        if units:
            self._start("BasicDefinitions")
            for unit, oid in self._units.items():
                self._start("MeasurementUnit", OID=oid, Name=unit)
                self._translated("Symbol", unit)
                self._end("MeasurementUnit")
            self._end("BasicDefinitions")
        self._start("MetaDataVersion", OID=METADATA_OID, Name="Stromal export", Description=self.description)
        self._start("Protocol")
        for order, table in enumerate(self.tables, start=1):
            event, _, _ = EVENTS[table.name]
            self._empty("StudyEventRef", StudyEventOID=event, OrderNumber=str(order), Mandatory="No")
        self._end("Protocol")
        for table in self.tables:
            event, name, repeating = EVENTS[table.name]
            self._start(
                "StudyEventDef", OID=event, Name=name, Repeating="Yes" if repeating else "No", Type="Common"
            )
            self._empty("FormRef", FormOID=form_oid(table), Mandatory="No")
            self._end("StudyEventDef")
        for table in self.tables:
            self._start("FormDef", OID=form_oid(table), Name=table.name, Repeating="No")
            self._empty("ItemGroupRef", ItemGroupOID=group_oid(table), Mandatory="Yes")
            self._end("FormDef")
        for table in self.tables:
            repeating = table.repeating and not EVENTS[table.name][2]
            self._start(
                "ItemGroupDef", OID=group_oid(table), Name=table.name, Repeating="Yes" if repeating else "No"
            )
            for order, variable in enumerate(self._items(table), start=1):
                self._empty(
                    "ItemRef", ItemOID=item_oid(table, variable), OrderNumber=str(order), Mandatory="No"
                )
            self._end("ItemGroupDef")
        for table in self.tables:
            for variable in self._items(table):
                self._item_def(table, variable)
        for table in self.tables:
            for variable in self._items(table):
                if variable.type is VarType.CHOICE:
                    self._start(
                        "CodeList", OID=codelist_oid(table, variable), Name=variable.name, DataType="text"
                    )
                    for code, label in variable.choices:
                        self._start("CodeListItem", CodedValue=code)
                        self._translated("Decode", label)
                        self._end("CodeListItem")
                    self._end("CodeList")
        self._start("CodeList", OID=YESNO_OID, Name="yes/no", DataType="integer")
        for code, label in (("1", "Yes"), ("0", "No")):
            self._start("CodeListItem", CodedValue=code)
            self._translated("Decode", label)
            self._end("CodeListItem")
        self._end("CodeList")
        self._end("MetaDataVersion")
        self._end("Study")

    def _items(self, table: TableSpec) -> list[Variable]:
        """The table's variables as item definitions: the study id is the SubjectKey instead."""
        return [v for v in table.columns(self.identified) if v.name != "study_id"]

    def _item_def(self, table: TableSpec, variable: Variable) -> None:
        self._start(
            "ItemDef", OID=item_oid(table, variable), Name=variable.name, DataType=DATA_TYPES[variable.type]
        )
        self._translated("Description", variable.label)
        if variable.unit:
            self._empty("MeasurementUnitRef", MeasurementUnitOID=self._units[variable.unit])
        for comparator, limit in (("GE", variable.minimum), ("LE", variable.maximum)):
            if limit is not None:
                self._start("RangeCheck", Comparator=comparator, SoftHard="Soft")
                self._text("CheckValue", f"{limit:g}")
                self._end("RangeCheck")
        if variable.type is VarType.CHOICE:
            self._empty("CodeListRef", CodeListOID=codelist_oid(table, variable))
        elif variable.type is VarType.BOOLEAN:
            self._empty("CodeListRef", CodeListOID=YESNO_OID)
        self._end("ItemDef")

    # --- data ----------------------------------------------------------------------------------

    def write_chunk(self, rows: ChunkRows) -> None:
        """Each patient's ``SubjectData``, written as text (escaped with ``quoteattr``): the data are
        most of the document, and building them as strings is many times faster than SAX events."""
        by_patient: dict[int, dict[str, list[list[Any]]]] = defaultdict(lambda: defaultdict(list))
        order: list[int] = []
        for table in self.tables:
            for pid, row in rows.get(table.name, ()):
                if pid not in by_patient:
                    order.append(pid)
                by_patient[pid][table.name].append(row)
        parts: list[str] = []
        for pid in order:
            tables = by_patient[pid]
            study_id = next(iter(tables.values()))[0][0]
            parts.append(f"<SubjectData SubjectKey={quoteattr(str(study_id))}>")
            for table in self.tables:
                self._event(parts, table, tables.get(table.name, []))
            parts.append("</SubjectData>\n")
        self._handle.write("".join(parts))

    def _layout(self, table: TableSpec) -> tuple[Callable[[list[Any]], list[Any]], list[tuple[int, str]]]:
        """What ``_event`` needs of ``table``: its row selection and (column, item OID) of each item,
        worked out once per table (not once per patient)."""
        if table.name not in self._layouts:
            names = [v.name for v in table.columns(self.identified)]
            items = [(names.index(v.name), item_oid(table, v)) for v in self._items(table)]
            self._layouts[table.name] = (table.select(self.identified), items)
        return self._layouts[table.name]

    def _event(self, parts: list[str], table: TableSpec, rows: list[list[Any]]) -> None:
        if not rows:
            return
        event, _, repeating = EVENTS[table.name]
        select, items = self._layout(table)
        if repeating:
            for key, row in enumerate(rows, start=1):
                parts.append(f'<StudyEventData StudyEventOID="{event}" StudyEventRepeatKey="{key}">')
                self._form(parts, table, [select(row)], items)
                parts.append("</StudyEventData>")
            return
        parts.append(f'<StudyEventData StudyEventOID="{event}">')
        self._form(parts, table, [select(row) for row in rows], items)
        parts.append("</StudyEventData>")

    def _form(
        self, parts: list[str], table: TableSpec, rows: list[list[Any]], items: list[tuple[int, str]]
    ) -> None:
        parts.append(f'<FormData FormOID="{form_oid(table)}">')
        repeat = len(rows) > 1 or (table.repeating and not EVENTS[table.name][2])
        group = group_oid(table)
        for key, row in enumerate(rows, start=1):
            parts.append(
                f'<ItemGroupData ItemGroupOID="{group}" ItemGroupRepeatKey="{key}">'
                if repeat
                else f'<ItemGroupData ItemGroupOID="{group}">'
            )
            for index, oid in items:
                value = odm_value(row[index])
                if value is not None:
                    parts.append(f'<ItemData ItemOID="{oid}" Value={quoteattr(value)}/>')
            parts.append("</ItemGroupData>")
        parts.append("</FormData>")

    def end(self) -> list[Path]:
        self._end("ClinicalData")
        self._end("ODM")
        self._xml.endDocument()
        self._handle.close()
        return [self.path]
