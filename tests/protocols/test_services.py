from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stromal.clinical.protocol import builtin_protocols
from stromal.protocols.models import ProtocolVersion, definition_from_protocol
from stromal.protocols.services import (
    VERSION_EXISTS,
    VERSION_IN_USE,
    protocol_add_version,
    protocol_update_definition,
    protocols_load_builtin,
)
from tests.pathway.factories import CLINIC, make_plan

pytestmark = pytest.mark.django_db


def test_the_three_shipped_protocols_load_once() -> None:
    protocols_load_builtin()
    protocols_load_builtin()
    assert ProtocolVersion.objects.count() == 3


def test_a_stored_protocol_converts_back_to_the_same_protocol() -> None:
    by_code = {p.code: p for p in builtin_protocols()}
    for record in protocols_load_builtin():
        assert record.to_protocol() == by_code[record.code]


def test_a_new_version_is_added_and_an_existing_one_refused(cast: Any) -> None:
    original = next(p for p in builtin_protocols() if p.code == CLINIC)
    definition = definition_from_protocol(original)
    with pytest.raises(ValidationError, match=VERSION_EXISTS.format(code=CLINIC, version="1.0")):
        protocol_add_version(user=cast.ada, definition=definition)
    definition["version"] = "1.1"
    assert protocol_add_version(user=cast.ada, definition=definition).version == "1.1"


def test_a_bad_definition_names_the_key(cast: Any) -> None:
    definition = definition_from_protocol(builtin_protocols()[0])
    definition["version"] = "9"
    definition["arm"][1]["route"] = "oral"
    with pytest.raises(ValidationError, match="route"):
        protocol_add_version(user=cast.ada, definition=definition)


def test_only_an_admin_adds_protocols(cast: Any) -> None:
    with pytest.raises(PermissionDenied):
        protocol_add_version(user=cast.alice, definition={})


def test_a_used_version_is_immutable_and_the_plan_keeps_it(cast: Any) -> None:
    plan = make_plan(cast)
    record = plan.protocol_version
    definition = dict(record.definition, title="Changed")
    with pytest.raises(ValidationError, match=VERSION_IN_USE.format(code=CLINIC, version="1.0")):
        protocol_update_definition(user=cast.ada, record=record, definition=definition, reason="x")
    newer = protocol_add_version(user=cast.ada, definition=dict(record.definition, version="2.0"))
    plan.refresh_from_db()
    assert plan.protocol_version == record and newer != record


def test_an_unused_version_may_be_corrected(cast: Any) -> None:
    records = {r.code: r for r in protocols_load_builtin()}
    record = records[CLINIC]
    updated = protocol_update_definition(
        user=cast.ada,
        record=record,
        definition=dict(record.definition, title="Clearer title"),
        reason="wording",
    )
    assert updated.title == "Clearer title"


def test_the_database_refuses_to_change_a_used_version(cast: Any) -> None:
    from django.db import DatabaseError, transaction

    plan = make_plan(cast)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        ProtocolVersion.objects.filter(pk=plan.protocol_version_id).update(definition={"tampered": True})
    ProtocolVersion.objects.filter(pk=plan.protocol_version_id).update(
        title="Retitled"
    )  # display text may change
