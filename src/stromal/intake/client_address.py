"""The public form's client address behind a reverse proxy, for the rate limit.

The direct peer (``REMOTE_ADDR``) is the client unless it is one of the
trusted proxies in ``STROMAL_TRUSTED_PROXIES`` (addresses or CIDR networks,
comma-separated; none by default). Only then is ``X-Forwarded-For`` read,
from the right: each trusted proxy appends the address it received from, so
the rightmost hop that is not a trusted proxy is the client. Hops further left
were written by the client itself and are never believed (RFC 7239 section
8.1 discusses this spoofing; MDN "X-Forwarded-For", "Selecting an IP
address"). A hop that is not an IP address stops the walk at the last trusted
hop.

Why not django-ipware / python-ipware: they match trusted proxies as string
prefixes of the header's own values and do not require the direct peer to be
a trusted proxy, which is the check that keeps a client from choosing its own
address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from stromal.env import SettingError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


if TYPE_CHECKING:
    from django.http import HttpRequest


def parse_trusted_proxies(
    items: Iterable[str], *, setting: str = "STROMAL_TRUSTED_PROXIES"
) -> tuple[IPNetwork, ...]:
    """Parse proxy addresses or CIDR networks; an entry that is neither is a start-up error naming it."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingError(
                f"{setting}: {item!r} is not an IP address or CIDR network (e.g. 10.0.0.5 or 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in proxies)


def client_address(*, remote_addr: str, forwarded_for: str, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The client's address: the peer, or the rightmost untrusted ``X-Forwarded-For`` hop behind trusted proxies."""
    peer = _address(remote_addr)
    if peer is None or not _trusted(peer, trusted_proxies):
        return remote_addr
    client = peer
    for hop in reversed(forwarded_for.split(",") if forwarded_for else []):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, trusted_proxies):
            break
    return str(client)


def request_client_address(request: HttpRequest) -> str:
    """The client address of a request under ``settings.TRUSTED_PROXIES`` (the rate limit of the
    public form and the sign-in throttle, ``AXES_CLIENT_IP_CALLABLE``, both count by it)."""
    from django.conf import settings

    return client_address(
        remote_addr=str(request.META.get("REMOTE_ADDR", "")),
        forwarded_for=str(request.META.get("HTTP_X_FORWARDED_FOR", "")),
        trusted_proxies=settings.TRUSTED_PROXIES,
    )
