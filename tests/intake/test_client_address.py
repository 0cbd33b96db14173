"""The client's address behind trusted reverse proxies (pure function)."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from stromal.env import SettingError
from stromal.intake.client_address import client_address, parse_trusted_proxies

PROXIES = parse_trusted_proxies(["10.0.0.0/8", "192.0.2.10", "2001:db8::/32"])


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("203.0.113.7", "", "203.0.113.7"),  # no proxy
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # untrusted peer: header ignored
        ("10.0.0.5", "", "10.0.0.5"),  # trusted peer without header
        ("10.0.0.5", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.5", "198.51.100.99, 198.51.100.1", "198.51.100.1"),  # the forged left hop is ignored
        ("10.0.0.5", "198.51.100.1, 192.0.2.10", "198.51.100.1"),  # two proxies in a chain
        ("10.0.0.5", "10.1.1.1, 10.2.2.2", "10.1.1.1"),  # all trusted: the leftmost
        ("10.0.0.5", "nonsense, 10.2.2.2", "10.2.2.2"),  # garbage stops the walk at the last trusted hop
        ("2001:db8::1", " 2001:db8:1::2 , 2a00::7", "2a00::7"),
    ],
)
def test_it_takes_the_rightmost_untrusted_hop_only_behind_a_trusted_peer(
    peer: str, header: str, client: str
) -> None:
    assert client_address(remote_addr=peer, forwarded_for=header, trusted_proxies=PROXIES) == client


@given(st.lists(st.ip_addresses(v=4).map(str), max_size=5), st.ip_addresses(v=4).map(str))
def test_an_untrusted_peer_is_the_client_whatever_the_header_says(hops: list[str], peer: str) -> None:
    assume(not any(ipaddress.ip_address(peer) in n for n in PROXIES))
    assert client_address(remote_addr=peer, forwarded_for=", ".join(hops), trusted_proxies=PROXIES) == peer


def test_a_setting_that_is_not_an_address_is_a_clear_start_up_error() -> None:
    with pytest.raises(SettingError, match=r"STROMAL_TRUSTED_PROXIES: 'proxy\.local' is not an IP address"):
        parse_trusted_proxies(["10.0.0.1", "proxy.local"])


def _settings_with(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "STROMAL_ENV"}}
    full |= {"STROMAL_VAR_DIR": str(tmp_path), **env}
    code = "import stromal.settings as s; print([str(n) for n in s.TRUSTED_PROXIES])"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full)


def test_the_setting_is_read_from_the_environment_at_start_up(tmp_path: Path) -> None:
    out = _settings_with({"STROMAL_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16"}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['10.0.0.5/32', '10.1.0.0/16']"


def test_a_wrong_proxy_address_stops_the_start_naming_the_variable(tmp_path: Path) -> None:
    out = _settings_with({"STROMAL_TRUSTED_PROXIES": "10.0.0.5,proxy.local"}, tmp_path)
    assert out.returncode != 0
    assert "STROMAL_TRUSTED_PROXIES: 'proxy.local' is not an IP address" in out.stderr
