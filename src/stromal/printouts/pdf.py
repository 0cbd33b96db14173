"""A printout as a PDF (fpdf2, pure Python), the same parts in the same order as the page.

Text is set in DejaVu Sans, a Unicode font, so every name prints as typed
(accents, Cyrillic, Greek). The font files are read from the copy matplotlib
ships (a dependency of lifelines), else from Debian's ``fonts-dejavu-core``.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from stromal.printouts.document import Document, Part, Signature

FONT = "DejaVu"
#: Where DejaVu Sans may be, in order: matplotlib's data, then Debian's package.
_DEBIAN_FONTS = Path("/usr/share/fonts/truetype/dejavu")
NO_FONT = (
    "No DejaVu Sans font found (looked in matplotlib's mpl-data and {debian}); "
    "install matplotlib or Debian's fonts-dejavu-core to print PDFs."
)
LINE_MM = 5.0
SIGNATURE_HEADER = ("Printed name", "Date and time", "Meaning", "Given", "Status")


class PdfFontMissingError(RuntimeError):
    """No Unicode font to set the PDF in."""


@lru_cache(maxsize=1)
def font_files() -> tuple[Path, Path]:
    """(regular, bold) DejaVu Sans files.

    Raises:
        PdfFontMissingError: neither matplotlib's copy nor Debian's is installed.
    """
    folders = []
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        folders.append(Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf")
    folders.append(_DEBIAN_FONTS)
    for folder in folders:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise PdfFontMissingError(NO_FONT.format(debian=_DEBIAN_FONTS))


class _Printout(FPDF):
    def __init__(self, document: Document) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document = document
        regular, bold = font_files()
        self.add_font(FONT, "", str(regular))
        self.add_font(FONT, "B", str(bold))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(document.title)
        self.set_creator("Stromal")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 7)
        self.set_text_color(90)
        line = f"{self.document.title} · {self.document.subtitle} · page {self.page_no()}/{{nb}}"
        self.multi_cell(0, 3.5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.document.footer:
            self.multi_cell(0, 3.5, self.document.footer, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)


def _heading(pdf: FPDF, text: str, size: float = 12) -> None:
    pdf.set_font(FONT, "B", size)
    pdf.ln(2)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)


def _paragraph(pdf: FPDF, text: str, size: float = 9) -> None:
    pdf.set_font(FONT, "", size)
    pdf.multi_cell(0, LINE_MM, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(
    pdf: FPDF,
    header: tuple[str, ...] | None,
    rows: tuple[tuple[str, ...], ...],
    col_widths: tuple[float, ...] | None = None,
) -> None:
    """A table; ``header`` None: no heading row (a list of labelled values)."""
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 240)),
        first_row_as_headings=header is not None,
        line_height=4.2,
        text_align="LEFT",
        width=pdf.epw,
        col_widths=col_widths,
    ) as table:
        if header is not None:
            row = table.row()
            for cell in header:
                row.cell(cell)
        for values in rows:
            row = table.row()
            for cell in values:
                row.cell(cell)
    pdf.set_font(FONT, "", 9)


def _part(pdf: FPDF, part: Part) -> None:
    _heading(pdf, part.heading)
    if part.items:
        _table(pdf, None, tuple((i.label, i.value) for i in part.items), col_widths=(30, 70))
    if part.table is not None:
        if part.table.rows:
            _table(pdf, part.table.header, part.table.rows)
        else:
            _paragraph(pdf, "None.")
    if part.note:
        _paragraph(pdf, part.note, size=8)


def _signatures(pdf: FPDF, heading: str, signatures: tuple[Signature, ...]) -> None:
    _heading(pdf, heading)
    if not signatures:
        _paragraph(pdf, "Not signed.")
        return
    rows = tuple(
        (
            f"{s.printed_name}" + (f" ({s.username})" if s.username else ""),
            s.signed_at,
            s.meaning,
            s.kind,
            s.status or "in force",
        )
        for s in signatures
    )
    _table(pdf, SIGNATURE_HEADER, rows)


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes (A4, DejaVu Sans).

    Raises:
        PdfFontMissingError: no Unicode font is installed.
    """
    pdf = _Printout(document)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 7, document.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _paragraph(pdf, document.subtitle, size=10)
    if document.printed:
        _paragraph(pdf, document.printed, size=8)
    for note in document.notes:
        _paragraph(pdf, note, size=8)
    for part in document.parts:
        _part(pdf, part)
    _signatures(pdf, document.signatures_heading, document.signatures)
    return bytes(pdf.output())
