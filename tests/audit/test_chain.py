"""The hash chain as pure functions: any change, deletion or re-ordering shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stromal.audit.chain import GENESIS_HASH, event_digest, verify_events

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _chain(n: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    previous = GENESIS_HASH
    for i in range(1, n + 1):
        event: dict[str, Any] = {
            "id": i,
            "sequence": i,
            "at": T0 + dt.timedelta(minutes=i),
            "actor_id": 7,
            "actor_username": "alice",
            "action": "plan_sign",
            "object_type": "plans.treatmentplan",
            "object_id": "3",
            "site_id_at_event": 1,
            "patient_id_at_event": 2,
            "changes": {"dose_cells_per_kg": [None, 1e6]},
            "reason": "",
            "source": "web POST plans:sign",
            "previous_hash": previous,
        }
        event["event_hash"] = event_digest(event, previous)
        previous = event["event_hash"]
        events.append(event)
    return events


def test_an_untouched_chain_is_intact_and_reports_its_last_hash() -> None:
    events = _chain(5)
    report = verify_events(events, head_sequence=5)
    assert report.intact
    assert report.events == 5
    assert report.last_hash == events[-1]["event_hash"]


def test_a_changed_reason_breaks_the_chain_at_that_event() -> None:
    events = _chain(5)
    events[2]["reason"] = "rewritten"
    report = verify_events(events)
    assert report.first_break is not None
    assert (report.first_break.event_id, report.first_break.sequence) == (3, 3)
    assert "changed" in report.first_break.problem


def test_a_deleted_event_leaves_a_gap_named_by_its_sequence() -> None:
    events = _chain(5)
    del events[1]
    report = verify_events(events)
    assert report.first_break is not None
    assert report.first_break.sequence == 3
    assert "sequence 2 to 2 missing" in report.first_break.problem


def test_deleting_the_last_events_is_found_against_the_head() -> None:
    report = verify_events(_chain(5)[:3], head_sequence=5)
    assert report.first_break is not None
    assert "deleted" in report.first_break.problem


def test_a_back_dated_event_appended_with_a_valid_hash_is_found() -> None:
    events = _chain(3)
    forged = dict(events[-1], id=99, sequence=4, at=T0 - dt.timedelta(days=30), action="plan_sign")
    forged["previous_hash"] = events[-1]["event_hash"]
    forged["event_hash"] = event_digest(forged, forged["previous_hash"])
    report = verify_events([*events, forged])
    assert report.first_break is not None
    assert report.first_break.event_id == 99
    assert "time goes backwards" in report.first_break.problem


def test_an_event_inserted_in_the_middle_breaks_the_link_after_it() -> None:
    events = _chain(4)
    forged = dict(events[1], id=99, reason="forged")
    forged["event_hash"] = event_digest(forged, forged["previous_hash"])
    report = verify_events([events[0], forged, *events[2:]])
    assert report.first_break is not None
    assert report.first_break.event_id == 3
    assert "does not link" in report.first_break.problem


def test_an_integral_float_hashes_like_the_integer_postgresql_returns() -> None:
    event = _chain(1)[0]
    as_float = event_digest(event, GENESIS_HASH)
    as_int = event_digest(dict(event, changes={"dose_cells_per_kg": [None, 1000000]}), GENESIS_HASH)
    assert as_float == as_int
