"""``{% submission_token %}``: the one-time token of a form (registered as a built-in tag)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from stromal.submissions.middleware import TOKEN_FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_token() -> SafeString:
    """A hidden input with a fresh token (``middleware.new_token``: random, dated)."""
    return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, new_token())
