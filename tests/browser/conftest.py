"""Chromium through Playwright for the browser tests (shared by the pathway's browser tests).

Skips when ``/usr/bin/chromium`` is missing, unless ``STROMAL_REQUIRE_BROWSER=1``
(set by ``.ci/run``), in which case a missing browser fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("STROMAL_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"{CHROMIUM} is missing and STROMAL_REQUIRE_BROWSER=1; install it: apt-get install -y chromium"
            )
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """``open_page()`` for an anonymous visitor, ``open_page(user, password)`` for a signed-in one.

    Each call is a fresh browser context (its own cookies), so several people can act in one test.
    """
    contexts: list[Any] = []

    def _open(user: Any = None, password: str = "") -> Any:
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill(user.username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/pathway/worklist/")
        return page

    yield _open
    for context in contexts:
        context.close()
