"""A strict Content-Security-Policy on every page, and nothing in a page that it would block.

Every page of a small site with a record at every pathway step (the fuzz test's
world, built through the services) is opened as every role: each response carries
the policy, and no page holds an inline script, an event-handler attribute, a
``javascript:`` URL or inline styles. The templates are read too, so a block that
no crawl reaches (an error branch) cannot hide one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import stromal
from tests.fuzz.test_every_form import _links, _urls
from tests.fuzz.world import build_world
from tests.pathway.factories import ROLES, client_for

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>", re.I)
# A data block (json_script) is not run by the browser; anything else needs src=.
DATA_BLOCK = re.compile(r"""\btype\s*=\s*["']application/(ld\+)?json["']""", re.I)
HANDLER = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=""", re.I)
JAVASCRIPT_URL = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
INLINE_STYLE = re.compile(r"""<style\b|<[a-z][^>]*\sstyle\s*=""", re.I)


def blocked_markup(html: str) -> list[str]:
    """What the policy would block in ``html``: inline scripts, handlers, javascript: URLs, inline styles."""
    found = [
        f"inline script <script{m['attrs']}>"
        for m in SCRIPT.finditer(html)
        if "src=" not in m["attrs"] and not DATA_BLOCK.search(m["attrs"])
    ]
    found += [f"event handler {m.group(0)[:80]}" for m in HANDLER.finditer(html)]
    found += [f"javascript: URL {m.group(0)}" for m in JAVASCRIPT_URL.finditer(html)]
    found += [f"inline style {m.group(0)[:80]}" for m in INLINE_STYLE.finditer(html)]
    return found


def parsed_policy(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def test_the_check_finds_each_kind_of_blocked_markup() -> None:
    assert blocked_markup("<script>alert(1)</script>")
    assert blocked_markup('<select onchange="this.form.submit()">')
    assert blocked_markup('<a href="javascript:history.back()">')
    assert blocked_markup('<form style="display:inline">')
    assert blocked_markup("<style>.x{}</style>")
    assert not blocked_markup('<script src="/static/stromal/behaviours.js"></script>')
    assert not blocked_markup('<script id="d" type="application/json">{"a": 1}</script>')
    assert not blocked_markup('<p class="honest">Session: online</p>')


def test_no_template_holds_markup_the_policy_blocks() -> None:
    root = Path(stromal.__file__).resolve().parent
    templates = sorted(root.rglob("templates/**/*.html"))
    assert len(templates) > 50
    found = [f"{t.relative_to(root)}: {what}" for t in templates for what in blocked_markup(t.read_text())]
    assert not found, "\n".join(found)


@pytest.mark.django_db
def test_pages_also_forbid_sniffing_framing_and_cross_site_referrers(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert parsed_policy(response["Content-Security-Policy"]) == POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_page_carries_the_policy_and_nothing_it_blocks(cast: Any, role: str) -> None:
    world = build_world(cast)
    client = client_for(Client(), cast, role)
    urls, slugged = _urls(world)
    queue, seen, pages = list(reversed(urls)), set(), 0
    problems: list[str] = []
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        header = response.get("Content-Security-Policy", "")
        if parsed_policy(header) != POLICY:
            problems.append(f"{url}: {response.status_code} Content-Security-Policy {header!r}")
        if "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages += response.status_code == 200
        problems += [f"{url}: {what}" for what in blocked_markup(html)]
        queue += sorted(_links(html, slugged) - seen)
    assert pages >= (1 if role == "anonymous" else 10), f"{role} opened only {pages} pages"
    assert not problems, "\n".join(problems)
