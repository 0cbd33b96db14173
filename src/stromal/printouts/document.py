"""A printout as plain data: what the HTML print layout and the PDF both render."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """One labelled value (already in words, date-times with their zone)."""

    label: str
    value: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Part:
    """A titled part of the document: labelled values, a table, or both, and a note."""

    heading: str
    items: tuple[Item, ...] = ()
    table: Table | None = None
    note: str = ""


@dataclass(frozen=True)
class Signature:
    """A signature as 21 CFR 11.50 asks it to be shown: printed name, date-time (with zone), meaning.

    ``kind`` says how it was given ("electronic", "handwritten on the paper form"); ``status``
    says whether it still stands (empty) or why not (voided, unlocked).
    """

    printed_name: str
    signed_at: str
    meaning: str
    kind: str = "electronic"
    username: str = ""
    status: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    filename: str  # without extension
    parts: tuple[Part, ...] = ()
    signatures: tuple[Signature, ...] = ()
    signatures_heading: str = "Signatures"
    printed: str = ""  # "Printed 2026-11-30 14:05 CET by Dr Alice Adams (alice)"
    footer: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def text(value: object, empty: str = "—") -> str:
    """A value as printed: ``None`` and empty text as ``empty``, booleans as yes / no."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
