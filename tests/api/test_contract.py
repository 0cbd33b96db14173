"""Contract test: schemathesis sends schema-generated requests to every operation of the OpenAPI
schema, in process through the WSGI application (no network), as a physician with an API token.

Every response must be a documented status with a documented content type and body, and none may
be a server error. Examples per operation are few (``EXAMPLES``) so the whole run stays under a
minute; raise ``STROMAL_CONTRACT_EXAMPLES`` to search harder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from stromal.api.api import api
from stromal.wsgi import application
from tests.api.factories import token_for
from tests.pathway.factories import make_examination, make_patient

EXAMPLES = int(os.environ.get("STROMAL_CONTRACT_EXAMPLES", "12"))

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
# Requests (and schemathesis' own probes, e.g. "does it ignore the token?") go to the WSGI app.
schema.app = application
schema.config.phases.update(phases=os.environ.get("STROMAL_CONTRACT_PHASES", "examples,fuzzing").split(","))


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Django's WSGI handler closes "old" connections at each request's start and end, which would
    close the test's transaction; the test client switches that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def physician_token(cast: Any) -> str:
    """A patient with a Day 1 examination at the physician's site, and the physician's token."""
    make_examination(cast, make_patient(cast.cora, "CT-0001"))
    return token_for(cast.alice)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_its_contract(
    case: Any, physician_token: str, wsgi_in_test_transaction: None
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {physician_token}"})
