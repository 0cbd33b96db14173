"""Every audit event says which screen or command the change came from."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.accounts.models import Site
from stromal.audit.context import audit_source, current_source
from stromal.audit.models import AuditEvent
from stromal.audit.services import audit_record
from tests.products.factories import PASSING_RESULTS, received_lot


@pytest.mark.django_db
def test_a_change_made_on_a_screen_names_that_screen(cast: Any) -> None:
    lot = received_lot(cast.luke)
    client = Client()
    client.force_login(cast.luke)
    form = {k: ("" if v is None else v) for k, v in PASSING_RESULTS.items()}
    client.post(reverse("products:results", args=[lot.pk]), {**form, "version": lot.version})
    event = AuditEvent.objects.filter(action="lot_record_results").get()
    assert event.source == "web POST products:results"
    assert current_source() == ""


@pytest.mark.django_db
def test_a_change_made_by_a_command_names_the_command() -> None:
    site = Site.objects.create(code="cmd", name="Cmd")
    with audit_source("command stromal demo"):
        event = audit_record(actor=None, action="create", instance=site)
    assert event.source == "command stromal demo"
