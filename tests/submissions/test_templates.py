"""Every POST form of every template carries the one-time submission token, so a new form cannot forget it."""

from __future__ import annotations

import re
from pathlib import Path

import stromal

TEMPLATE_ROOT = Path(stromal.__file__).resolve().parent
FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
POST = re.compile(r"""method\s*=\s*["']?post""", re.I)
CSRF_THEN_TOKEN = re.compile(r"\{% csrf_token %\}\n[ \t]*\{% submission_token %\}\n")
# Templates whose POST form creates or changes no record, so a repeat does no harm.
EXEMPT = {
    "templates/registration/login.html": "signing in",
    "mfa/templates/mfa/verify.html": "signing in, second step (a used code is refused anyway)",
    "templates/base.html": "signing out (the only POST form of the page frame)",
}


def _post_forms() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(TEMPLATE_ROOT.rglob("*.html")):
        rel = path.relative_to(TEMPLATE_ROOT).as_posix()
        for match in FORM.finditer(path.read_text(encoding="utf-8")):
            if POST.search(match["attrs"]):
                found.append((rel, match["attrs"], match["body"]))
    return found


def test_the_walk_finds_the_forms_of_every_app() -> None:
    apps = {rel.split("/")[0] for rel, _, _ in _post_forms()}
    assert {"intake", "patients", "plans", "administrations", "followup", "products", "examinations"} <= apps


def test_every_post_form_carries_the_submission_token_right_after_the_csrf_token() -> None:
    missing = [
        f"{rel}: <form{attrs}>"
        for rel, attrs, body in _post_forms()
        if rel not in EXEMPT and not CSRF_THEN_TOKEN.search(body)
    ]
    assert not missing, (
        "POST forms without {% submission_token %} on the line after {% csrf_token %}:\n" + "\n".join(missing)
    )


def test_the_walk_notices_a_form_without_the_token() -> None:
    body = '<form method="post">{% csrf_token %}<button>Save</button></form>'
    match = FORM.search(body)
    assert match is not None and POST.search(match["attrs"]) and not CSRF_THEN_TOKEN.search(match["body"])
