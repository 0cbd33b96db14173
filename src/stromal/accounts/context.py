from __future__ import annotations

from django.http import HttpRequest

from stromal import RESEARCH_DISCLAIMER, __version__


def stromal_context(request: HttpRequest) -> dict[str, str]:
    return {"stromal_version": __version__, "research_disclaimer": RESEARCH_DISCLAIMER}
