from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stromal.accounts.access import role_required
from stromal.accounts.roles import CALCULATOR_USERS
from stromal.calculator.forms import CalculatorForm
from stromal.calculator.presentation import present
from stromal.clinical.assess import assess
from stromal.clinical.observations import FIELDS
from stromal.clinical.validation import ClinicalInputError, plain_message


@role_required(*CALCULATOR_USERS)
def calculator(request: HttpRequest) -> HttpResponse:
    """The bedside ARDS calculator: the same assessments as ``stromal assess``."""
    form = CalculatorForm(request.POST if request.method == "POST" else None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = present(assess(form.observations()))
        except ClinicalInputError as exc:
            # A rule across fields (e.g. one quantity in two units) lands on its field, in words.
            spec = FIELDS.get(exc.field)
            message = plain_message(spec, exc) if spec is not None else exc.rule
            form.add_error(exc.field if exc.field in form.fields else None, message)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "calculator/ards.html", {"form": form, "result": result}, status=status)
