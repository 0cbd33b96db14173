"""The response for a printout: the print layout (HTML) or, with ``?format=pdf``, the PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from stromal import RESEARCH_DISCLAIMER, __version__
from stromal.accounts.models import User
from stromal.accounts.zones import format_when
from stromal.printouts.document import Document
from stromal.printouts.pdf import render_pdf

PDF = "pdf"


def printed_line(user: User) -> str:
    """Who printed the document and when (site zone named), for its header."""
    return f"Printed {format_when(timezone.now())} by {user.display_name()} ({user.username})"


def footer_line() -> str:
    return f"Stromal {__version__} · {RESEARCH_DISCLAIMER}"


def printout_response(request: HttpRequest, document: Document) -> HttpResponse:
    """``document`` as a page laid out for printing, or as a PDF when ``?format=pdf``."""
    if request.GET.get("format") == PDF:
        response = HttpResponse(render_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document.filename}.pdf"'
        return response
    return render(request, "printouts/printout.html", {"document": document})
