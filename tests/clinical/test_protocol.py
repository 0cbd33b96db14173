"""The protocol's administration window (days a dose may move without a documented reason)."""

from __future__ import annotations

from typing import Any

import pytest

from stromal.clinical.protocol import ProtocolError, builtin_protocols, protocol_from_dict

MINIMAL: dict[str, Any] = {
    "code": "p",
    "version": "1",
    "title": "t",
    "source": "s",
    "arm": [{"name": "control"}],
}


def test_every_shipped_protocol_gives_each_dose_on_its_scheduled_day_only() -> None:
    for protocol in builtin_protocols():
        assert (protocol.administration_window_days_before, protocol.administration_window_days_after) == (
            0,
            0,
        )


def test_a_protocol_may_widen_the_window_by_whole_days() -> None:
    protocol = protocol_from_dict(
        {**MINIMAL, "administration_window_days_before": 1, "administration_window_days_after": 2}
    )
    assert (protocol.administration_window_days_before, protocol.administration_window_days_after) == (1, 2)


@pytest.mark.parametrize("value", [-1, 31, 1.5, True])
def test_a_window_outside_0_to_30_whole_days_is_refused(value: object) -> None:
    with pytest.raises(ProtocolError, match="administration_window_days_after"):
        protocol_from_dict({**MINIMAL, "administration_window_days_after": value})
