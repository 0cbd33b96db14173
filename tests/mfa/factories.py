"""Second factors for the cast: an enrolled authenticator, codes it shows, a signed-in client."""

from __future__ import annotations

import re
import time
from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from stromal.mfa import services
from stromal.submissions.middleware import TOKEN_FIELD
from tests.conftest import PASSWORD


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code ``device``'s authenticator app shows now (or ``steps_ahead`` periods of 30 s later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user: Any) -> tuple[TOTPDevice, list[str]]:
    """``user`` with a confirmed authenticator and 10 recovery codes (as after the enrolment page)."""
    device = services.totp_enrolment_start(user=user)
    _, codes = services.totp_enrolment_confirm(user=user, code=code_for(device))
    device.refresh_from_db()
    return device, codes


def password_signed_in(user: Any) -> Client:
    """A client past the password step only, through the real sign-in page."""
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def post_form(client: Client, url: str, data: dict[str, str]) -> Any:
    """POST ``data`` to ``url`` with the submission token its page issues (none when the page is refused)."""
    page = client.get(url).content.decode()
    token = re.search(rf'name="{TOKEN_FIELD}" value="([^"]+)"', page)
    return client.post(url, {**data, **({TOKEN_FIELD: token.group(1)} if token else {})})
