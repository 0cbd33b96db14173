"""``stromal api-token``: the token is the last line of the output, shown once; revoking stops it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from stromal.api.models import ApiToken
from stromal.audit.models import AuditEvent
from stromal.cli import main

pytestmark = pytest.mark.django_db


def test_create_prints_a_working_token_as_the_last_line(
    cast: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["api-token", "create", "luke", "--name", "laboratory interface"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("stromal_")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/patients").status_code == 200
    row = ApiToken.objects.get()
    assert row.name == "laboratory interface" and row.created_by is None
    event = AuditEvent.objects.get(action="api_token_create")
    assert event.actor_username == "system" and event.source == "command stromal api-token"


def test_revoke_by_prefix_stops_the_token(cast: Any, capsys: pytest.CaptureFixture[str]) -> None:
    main(["api-token", "create", "alice"])
    token = capsys.readouterr().out.strip().splitlines()[-1]
    prefix = ApiToken.objects.get().prefix
    assert main(["api-token", "revoke", prefix, "--reason", "script retired"]) == 0
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/patients").status_code == 401
    assert AuditEvent.objects.get(action="api_token_revoke").reason == "script retired"
    assert main(["api-token", "revoke", prefix]) == 1


def test_list_shows_prefixes_never_tokens(cast: Any, capsys: pytest.CaptureFixture[str]) -> None:
    main(["api-token", "create", "alice"])
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["api-token", "list"]) == 0
    out = capsys.readouterr().out
    assert ApiToken.objects.get().prefix in out and token not in out


def test_an_unknown_user_is_refused(cast: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api-token", "create", "nobody"]) == 1
    assert "no user 'nobody'" in capsys.readouterr().err
