"""Every form of the app, posted with fuzzed values as every role, never gets a server error (5xx).

The URLs come from the URLconf (int arguments filled from a small world built
through the services, slug arguments from the links the pages show); each is
opened with GET as every role, and every form on the pages (POST and GET) is
sent with hypothesis-drawn values: numbers at and past the database's integer
range, negatives, NaN and infinity, NUL bytes, very long strings, non-numbers,
dates at the ends of the calendar. A refusal (400, 403, 404, a redirect) is
fine; a 5xx or an exception is collected and reported with the exact request.

For each role (one test each, so CI workers share them): every field of every
form the role sees (every k-th of a long form, rotating with the role) is the
focus of ``STROMAL_FUZZ_EXAMPLES`` draws (default 3): the n-th draw gives it the
n-th probe of its input type (``PROBES``), from the third draw on up to two
more fields get hypothesis-drawn values, and the other fields hold what a
person would send, so the probe reaches the service; every URL of
the URLconf that the role sees no form for (the POST-only addresses among them)
gets one POST of fuzzed version/reason/note fields. Draws are derandomized so CI is reproducible.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stromal.submissions.middleware import TOKEN_FIELD, new_token
from tests.fuzz.world import MISSING_ID, WorldIds, build_world
from tests.htmlforms import Field, Form, forms_of
from tests.pathway.factories import ROLES, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("STROMAL_FUZZ_EXAMPLES", "3"))
# The first passes change only the focus field, so that its probe is what reaches the service.
CLEAN_PASSES = 2
NOT_FUZZED = {"csrfmiddlewaretoken"}
# Pages that are not forms of the app: signing out ends the test client's session.
SKIPPED_URLS = {"accounts:logout"}

EDGE_VALUES = [
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "1111111111111111111111111",
    "-5",
    "-1",
    "0",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "1,5",
    "abc",
    "\x00",
    "a\x00b",
    "",
    " ",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30",
    "x" * 10_000,
    "9" * 400,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "true",
]
# The focus field of the n-th draw gets the n-th probe of its input type: the values that
# found the 500s of issue #8 come first, so every role tries them on every field.
PROBES = {
    "number": ["2147483648", "-5", "nan", "-2147483649", "1e309", "abc"],
    "date": ["0001-01-01", "9999-12-31", "2026-02-30", "abc"],
    "datetime-local": ["0001-01-01T00:00", "9999-12-31T23:59", "2026-02-30T25:61", "abc"],
    "choice": ["1111111111111111111111111", "2147483648", "abc", "-5", ""],
    "text": ["x" * 10_000, "' OR 1=1 --", "2147483648", " "],
}
PROBE_KIND = {"hidden": "number", "select": "choice", "radio": "choice", "checkbox": "choice"}


def _probe(field: Field, n: int) -> str:
    kind = PROBE_KIND.get(field.type, field.type)
    probes = PROBES.get(kind, PROBES["text"])
    return probes[n % len(probes)]


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
FUZZ = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(str),
    TEXT,
)

# Which object an int URL argument names: by the argument's name, else (``pk``) by the URL's
# name, else by its namespace. A new argument or namespace fails the test with a message.
KWARG_KINDS = {
    "plan_pk": "plan",
    "patient_pk": "patient",
    "encounter_pk": "encounter",
    "user_id": "user",
    "site_id": "site",
    # The REST API and FHIR name their ids after the record.
    "patient_id": "patient",
    "encounter_id": "encounter",
    "plan_id": "plan",
    "lot_id": "lot",
    "session_id": "session",
    "event_id": "adverse_event",
    "visit_id": "visit",
}
PK_KINDS = {
    "products": "lot",
    "administrations": "session",
    "followup": "visit",
    "intake": "request",
    "patients": "patient",
    "protocols": "protocol",
    "examinations": "encounter",
    "plans": "plan",
    "pathway": "patient",
    "monitoring": "patient",
    "exports": "export",
    "insilico": "trial_run",
    "api_tokens": "token",
}
PK_KINDS_BY_NAME = {
    "administrations:ae_detail": "adverse_event",
    "administrations:ae_grade": "adverse_event",
    "plans:eligibility": "check",
    "plans:consent_print": "consent",
    "patient_audit": "patient",
    "monitoring:query": "query",
    "insilico:registry_status": "registry_check",
}
# Kinds the world does not build (their pages answer 404 here; their own tests cover them).
NOT_BUILT = {"visit", "query", "export", "token", "trial_run", "registry_check"}


# The crawl must reach at least these apps' forms for each role (a guard against a crawl that
# silently finds nothing, e.g. after a URL change).
EXPECTED_FORMS = {
    "physician": {"examinations", "plans", "administrations", "patients", "followup", "calculator"},
    "nurse": {"administrations", "examinations"},
    "coordinator": {"intake", "patients", "plans"},
    "lab": {"products", "administrations"},
    "monitor": {"calculator"},
    "investigator": {"calculator"},
    "admin": {"calculator", "admin"},
    "anonymous": {"request"},
}


@dataclass(frozen=True)
class Target:
    method: str
    action: str
    form: Form


def _patterns(patterns: list[Any], namespace: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            found += _patterns(p.url_patterns, p.namespace or namespace)
        elif p.name:
            found.append((f"{namespace}:{p.name}" if namespace else p.name, p))
    return found


def _kind(name: str, kwarg: str) -> str:
    if kwarg in KWARG_KINDS:
        return KWARG_KINDS[kwarg]
    namespace = name.split(":")[0] if ":" in name else ""
    if kwarg == "pk" and (name in PK_KINDS_BY_NAME or namespace in PK_KINDS):
        return PK_KINDS_BY_NAME.get(name) or PK_KINDS[namespace]
    raise AssertionError(
        f"{name}: URL argument {kwarg!r} is new to the fuzz test; add the object it names to "
        "KWARG_KINDS / PK_KINDS / PK_KINDS_BY_NAME in tests/fuzz/test_every_form.py"
    )


def _urls(world: WorldIds) -> tuple[list[str], set[str]]:
    """Every URL of the URLconf with int arguments filled from the world; the names with slug arguments."""
    urls: list[str] = []
    slugged: set[str] = set()
    for name, pattern in _patterns(get_resolver().url_patterns):
        if name in SKIPPED_URLS:
            continue
        converters = pattern.pattern.converters
        if any(not isinstance(c, IntConverter) for c in converters.values()):
            slugged.add(name)
            continue
        choices: list[dict[str, int]] = [{}]
        for kwarg in converters:
            choices = [{**c, kwarg: pk} for c in choices for pk in world.of(_kind(name, kwarg))]
        urls += [reverse(name, kwargs=c) for c in choices]
    return urls, slugged


def _links(html: str, slugged: set[str]) -> set[str]:
    links = set()
    for href in re.findall(r'href="(/[^"#?]*)', html):
        try:
            match = resolve(href)
        except Resolver404:
            continue
        if match.view_name in slugged:
            links.add(href)
    return links


def _crawl(client: Client, role: str, world: WorldIds) -> tuple[list[Target], list[str]]:
    """GET every URL (and the slug pages linked from them) as ``role``: the forms it sees, and every URL."""
    urls, slugged = _urls(world)
    queue, seen = list(reversed(urls)), set()
    targets: dict[tuple[str, str | None, tuple[str, ...]], Target] = {}
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url} as {role}: {response.status_code}"
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        queue += sorted(_links(html, slugged) - seen)
        for form in forms_of(html):
            action = urlsplit(form.action).path or url
            view = resolve(action).view_name
            if view not in SKIPPED_URLS:
                # One object per kind of form: /plans/1/edit/ and /plans/2/edit/ are the same form;
                # the world lists the object furthest along the pathway first.
                key = (form.method, view, tuple(sorted(form.names())))
                targets.setdefault(key, Target(form.method, action, form))
    return list(targets.values()), sorted(seen)


def _plausible(data: st.DataObject, field: Field, page_value: Any) -> Any:
    """What a person would send, so that the fuzzed fields reach the service: the page's own
    value, a listed option, or for a required empty field a value of its input type."""
    if field.options:
        return data.draw(st.sampled_from([page_value, *field.options]))
    if page_value not in (None, "") or not field.required:
        return page_value
    now = timezone.localtime()
    by_type = {
        "date": ["1970-05-17", now.strftime("%Y-%m-%d")],
        "datetime-local": [now.strftime("%Y-%m-%dT%H:%M")],
        "number": ["1", "37", "0.5"],
        "email": ["fuzz@example.org"],
    }
    return data.draw(st.sampled_from(by_type.get(field.type, ["Fuzz text"])))


def _shown(values: dict[str, Any]) -> str:
    shown = {
        k: f"{v[:40]}...({len(v)} chars)" if isinstance(v, str) and len(v) > 40 else v
        for k, v in values.items()
    }
    return repr(shown)


def _send(
    client: Client, method: str, url: str, values: dict[str, Any], who: str, failures: list[str]
) -> None:
    request = f"{method.upper()} {url} as {who} with {_shown(values)}"
    try:
        status = (client.post if method == "post" else client.get)(url, values).status_code
    except Exception as exc:
        failures.append(f"{request}: {type(exc).__name__}: {exc}"[:1200])
        return
    if status >= 500:
        failures.append(f"{request}: HTTP {status}")


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


MAX_FOCUS_FIELDS = 8


def _focus_fields(fields: list[Field], role: str) -> list[Field]:
    """The fields this role fuzzes in turn: all of them, or for a long form (the calculator has
    55) every k-th, the slice rotating with the role so that the roles together cover them all."""
    k = -(-len(fields) // MAX_FOCUS_FIELDS)
    return fields[ROLES.index(role) % k :: k]


def _fuzz_form(client: Client, role: str, target: Target, failures: list[str]) -> None:
    """Each focus field in turn fuzzed (with up to two more), the others as a person would send them."""
    fields = [f for f in target.form.fields if f.name not in NOT_FUZZED and f.tag != "button"]
    buttons = [f for f in target.form.fields if f.tag == "button"]
    focus = _focus_fields(fields, role)
    sent = [0]

    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES * len(focus))
    @given(st.data())
    def send(data: st.DataObject) -> None:
        # Every field draws both a fuzzed and a plausible value, so that each draw has the same
        # shape whichever field is the focus (hypothesis requires it); the focus rotates by example.
        more = data.draw(st.lists(st.sampled_from(fields), max_size=2, unique_by=lambda f: f.name))
        n, sent[0] = sent[0], sent[0] + 1
        target_field = focus[n % len(focus)]
        page = target.form.data()
        values: dict[str, Any] = dict(page)
        for f in fields:
            fuzz, plausible = data.draw(FUZZ), _plausible(data, f, page.get(f.name, ""))
            if f is target_field:
                values[f.name] = _probe(f, n // len(focus))
            elif f in more and n // len(focus) >= CLEAN_PASSES:
                values[f.name] = fuzz
            elif f.name == TOKEN_FIELD:
                values[f.name] = new_token()
            else:
                values[f.name] = plausible
        if buttons:
            values[data.draw(st.sampled_from(buttons)).name] = ""
        _send(client, target.method, target.action, values, role, failures)

    if focus:
        send()


def _fuzz_url(client: Client, role: str, url: str, failures: list[str]) -> None:
    """A POST URL without a visible form: the fields every state-changing form shares, fuzzed."""

    @settings(FUZZ_SETTINGS, max_examples=1)
    @given(st.fixed_dictionaries({"version": FUZZ, "reason": FUZZ, "note": FUZZ}))
    def send(values: dict[str, str]) -> None:
        _send(client, "post", url, {**values, TOKEN_FIELD: new_token()}, role, failures)

    send()


@pytest.mark.parametrize("role", ROLES)
def test_every_form_fuzzed_as_every_role_gives_no_server_error(cast: Any, role: str) -> None:
    world = build_world(cast)
    assert {"patient", "encounter", "plan", "session"} <= set(world.ids), world.missing
    client = client_for(Client(), cast, role)
    targets, urls = _crawl(client, role, world)
    reached = {t.action.split("/")[1] for t in targets if t.method == "post"}
    assert EXPECTED_FORMS[role] <= reached, f"{role} reached only the forms of {sorted(reached)}"
    failures: list[str] = []
    for target in targets:
        _fuzz_form(client, role, target, failures)
    with_form = {t.action for t in targets}
    for url in urls:
        if url not in with_form:
            _fuzz_url(client, role, url, failures)
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(sorted(set(failures)))


def test_the_world_gives_every_int_url_argument_an_object(cast: Any) -> None:
    world = build_world(cast)
    urls, _ = _urls(world)
    built = [
        reverse(name, kwargs=dict.fromkeys(p.pattern.converters, MISSING_ID))
        for name, p in _patterns(get_resolver().url_patterns)
        if p.pattern.converters
        and all(isinstance(c, IntConverter) for c in p.pattern.converters.values())
        and not {_kind(name, k) for k in p.pattern.converters} & NOT_BUILT
    ]
    missing = sorted(set(built) & set(urls))
    assert not missing, world.missing
