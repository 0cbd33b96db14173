from __future__ import annotations

from django.http import HttpRequest

from stromal import RESEARCH_DISCLAIMER, __version__
from stromal.accounts.roles import CALCULATOR_USERS


def stromal_context(request: HttpRequest) -> dict[str, object]:
    role = getattr(request.user, "role", None)
    return {
        "stromal_version": __version__,
        "research_disclaimer": RESEARCH_DISCLAIMER,
        "calculator_allowed": role in CALCULATOR_USERS,
    }
