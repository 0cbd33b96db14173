"""The audit trail as a hash chain: any changed, deleted or re-ordered event shows.

Each event stores ``event_hash = SHA-256(canonical content + previous_hash)``,
where the content is every field that says who did what, when and why, and
``previous_hash`` is the hash of the event before it in ``sequence`` order (the
first event links to ``GENESIS_HASH``). Sequences are contiguous from 1 and
times never go backwards along the chain, so:

- a changed row no longer matches its own hash;
- a deleted row leaves a gap in the sequence and a broken link;
- a row inserted later with a forged earlier time goes back in time, or
  breaks the link of the row after it.

Pure functions, no Django: the database-facing writer lives in
``stromal.audit.services`` and the checker in ``verify_events``.

This is tamper *evidence*, not tamper *proof*: someone who can write the
table and knows this algorithm could rebuild the whole chain after a forgery.
The chain's last hash can be printed by ``stromal audit verify`` and kept
outside the database (for example in the backup log) to close that gap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The ``previous_hash`` of the first event.
GENESIS_HASH = "0" * 64

#: The fields of an event that its hash covers (besides ``previous_hash``).
HASHED_FIELDS = (
    "sequence",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "site_id_at_event",
    "patient_id_at_event",
    "changes",
    "reason",
    "source",
)


def _canonical(value: Any) -> Any:
    """One JSON form per value, whichever database stored it.

    PostgreSQL's jsonb prints an integral float (8e7) as an integer
    (80000000), so integral floats are hashed as integers; keys are sorted by
    ``json.dumps``.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


def event_digest(content: Mapping[str, Any], previous_hash: str) -> str:
    """SHA-256 (hex, 64 characters) of an event's ``HASHED_FIELDS`` and the previous hash.

    Raises:
        KeyError: ``content`` lacks one of ``HASHED_FIELDS``.
    """
    payload = {name: _canonical(content[name]) for name in HASHED_FIELDS}
    payload["previous_hash"] = previous_hash
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold: which event, and what is wrong."""

    event_id: int | None
    sequence: int
    problem: str

    def __str__(self) -> str:
        where = f"event id {self.event_id}" if self.event_id is not None else "end of the trail"
        return f"audit chain broken at sequence {self.sequence} ({where}): {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    """What a verification saw: events checked, the last hash, and the first break if any."""

    events: int
    last_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify_events(events: Iterable[Mapping[str, Any]], *, head_sequence: int | None = None) -> ChainReport:
    """Check a trail given in ``sequence`` order; stop at the first break.

    Each mapping holds ``id``, ``previous_hash``, ``event_hash`` and the
    ``HASHED_FIELDS``. ``head_sequence`` is the sequence the writer last
    handed out; a trail that ends before it lost its last events.
    """
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    previous_at: Any = None
    count = 0
    for event in events:
        sequence = int(event["sequence"])
        event_id = int(event["id"])
        problem = None
        if sequence != expected_sequence:
            problem = (
                f"sequence {expected_sequence} to {sequence - 1} missing (deleted events)"
                if sequence > expected_sequence
                else f"sequence {sequence} repeated or out of order"
            )
        elif event["previous_hash"] != previous_hash:
            problem = "does not link to the event before it (an event was removed or inserted)"
        elif event_digest(event, previous_hash) != event["event_hash"]:
            problem = "content does not match its hash (the event was changed)"
        elif previous_at is not None and event["at"] < previous_at:
            problem = "time goes backwards (an event was inserted out of order)"
        if problem:
            return ChainReport(count, previous_hash, ChainBreak(event_id, sequence, problem))
        previous_hash = str(event["event_hash"])
        previous_at = event["at"]
        expected_sequence += 1
        count += 1
    if head_sequence is not None and head_sequence > count:
        problem = f"the trail ends at sequence {count} but {head_sequence} were written (deleted events)"
        return ChainReport(count, previous_hash, ChainBreak(None, count + 1, problem))
    return ChainReport(count, previous_hash, None)
