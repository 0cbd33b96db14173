"""The enrolment QR code, drawn on the server as inline SVG (segno): no image request, no script."""

from __future__ import annotations

import segno


def qr_svg(uri: str) -> str:
    """An ``<svg>`` element encoding ``uri`` (an ``otpauth://`` URL), to embed in a page."""
    code = segno.make(uri, error="m")
    # xmldecl/svgns off: an element for an HTML page, not a standalone file. No style attribute
    # (the Content-Security-Policy refuses inline styles); the title names it for screen readers.
    return str(
        code.svg_inline(
            scale=5, border=2, dark="#000", light="#fff", title="QR code for your authenticator app"
        )
    )
