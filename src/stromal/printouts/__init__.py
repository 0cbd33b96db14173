"""Printouts: one document, shown as a print-ready page (print CSS) or as a PDF.

A printout is built once as plain data (``document.Document``: parts of
labelled values and tables, and the signatures with printed name, date-time
with zone and meaning, 21 CFR 11.50), then rendered by the HTML template or
by ``pdf.render_pdf`` (fpdf2), so the page and the PDF always say the same.
"""
