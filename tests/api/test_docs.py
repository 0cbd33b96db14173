"""The OpenAPI schema and the interactive docs: installed assets only, no CDN, no inline script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_schema_lists_every_endpoint_and_documents_problem_responses(cast: Any) -> None:
    client = Client()
    client.force_login(cast.alice)
    schema = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/patients",
        "/api/v1/encounters/{encounter_id}/observations",
        "/api/v1/followup-visits",
    } <= set(schema["paths"])
    responses = schema["paths"]["/api/v1/patients"]["get"]["responses"]
    assert "application/problem+json" in responses["401"]["content"]
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}


def test_the_docs_page_loads_swagger_from_the_installed_static_files_only(cast: Any) -> None:
    client = Client()
    client.force_login(cast.alice)
    html = client.get("/api/v1/docs").content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html) + re.findall(
        r'<link[^>]*\bhref="([^"]+)"', html
    )
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert "cdn" not in html.lower() and "https://" not in html
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source


def test_the_docs_page_runs_no_inline_script(cast: Any) -> None:
    client = Client()
    client.force_login(cast.alice)
    html = client.get("/api/v1/docs").content.decode()
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        if "src=" in attrs:
            assert not body.strip()
    assert not re.search(r"\son[a-z]+=", html)


def test_the_swagger_validator_badge_is_off(cast: Any) -> None:
    client = Client()
    client.force_login(cast.alice)
    assert '"validatorUrl": null' in client.get("/api/v1/docs").content.decode()


def test_swagger_ui_ships_with_django_ninja() -> None:
    path = finders.find("ninja/swagger-ui-bundle.js")
    assert path and Path(path).stat().st_size > 100_000
