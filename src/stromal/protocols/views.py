from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stromal.accounts.access import role_required
from stromal.accounts.roles import CLINICAL_READERS
from stromal.protocols.selectors import protocol_get, protocol_list

READERS = tuple(CLINICAL_READERS)


@role_required(*READERS)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "protocols/list.html", {"protocols": protocol_list()})


@role_required(*READERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = protocol_get(pk=pk)
    return render(request, "protocols/detail.html", {"record": record, "protocol": record.to_protocol()})
