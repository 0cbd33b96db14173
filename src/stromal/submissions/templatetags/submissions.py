"""``{% submission_token %}``: the one-time token of a form (registered as a built-in tag)."""

from __future__ import annotations

import secrets

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from stromal.submissions.middleware import TOKEN_FIELD

register = template.Library()


@register.simple_tag
def submission_token() -> SafeString:
    """A hidden input with a fresh random token (256 bits, URL-safe base64, 43 characters)."""
    return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, secrets.token_urlsafe(32))
