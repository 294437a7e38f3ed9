"""Where a webhook may be sent: no request forgery through hooks.

Deployed, a hook's URL is `https` and every address its host resolves to is a public one: not loopback, private,
link-local (the instance metadata service, 169.254.169.254, is link-local), shared (100.64/10), multicast, reserved
or unspecified, nor any of those hidden in an IPv6 form (IPv4-mapped, 6to4, Teredo) or behind a name (a host that
resolves to one is refused as the address itself would be). The check runs when the hook is registered and again at
every delivery, and the delivery connects to the very address that was checked (a DNS answer that changes between
the check and the connection cannot send it elsewhere). Redirects are not followed (webhook_delivery.py).

The local stack sets CLOUDSOUND_WEBHOOKS_ALLOW_LOOPBACK=1: hooks may then be `http` or `https` on a loopback
address (http://127.0.0.1:PORT/...), so that hooks can be tried on a laptop. Nothing else private is allowed there.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable
from urllib.parse import urlsplit

from chalicelib.errors import Invalid

MAX_URL_LENGTH = 2000
Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query


class Refused(Exception):
    """A target that may not be called (the reason says why)."""


def parse_target(url: Any, allow_loopback: bool = False) -> Target:
    """A hook URL's parts, or Invalid (field `url`) for one that is not an absolute http(s) URL we may call."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH or not url.isascii() or not url.isprintable():
        raise Invalid(f"url must be an absolute https URL of at most {MAX_URL_LENGTH} characters", field="url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Invalid("url is not a valid URL", field="url") from None
    allowed = ("https", "http") if allow_loopback else ("https",)
    if parts.scheme not in allowed:
        raise Invalid("url must be https" + (" (or http on this local stack)" if allow_loopback else ""), field="url")
    if not parts.hostname or parts.username is not None or parts.password is not None or parts.fragment:
        raise Invalid("url must name a host, with no user, password or fragment", field="url")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def vetted_address(target: Target, allow_loopback: bool = False, resolver: Resolver = system_resolver) -> str:
    """The address to connect to: the host's first, once every address it resolves to is allowed; Refused if any
    is not, or if it does not resolve."""
    try:
        addresses = resolver(target.host, target.port)
    except (OSError, UnicodeError) as error:
        raise Refused(f"{target.host} does not resolve") from error
    if not addresses:
        raise Refused(f"{target.host} does not resolve")
    for address in addresses:
        reason = forbidden(address, allow_loopback)
        if reason:
            raise Refused(f"{target.host} resolves to {reason} address")
    if allow_loopback and target.scheme == "http" and not _is_loopback(addresses[0]):
        raise Refused("http is allowed only to a loopback address, on the local stack")
    return addresses[0]


def forbidden(address: str, allow_loopback: bool = False) -> str | None:
    """Why an address may not be called (a word for the message), or None."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "an unreadable"
    for embedded in _embedded(ip):
        if allow_loopback and embedded.is_loopback:
            continue
        if embedded.is_loopback:
            return "a loopback"
        if embedded.is_link_local:
            return "a link-local (metadata)"
        if embedded.is_private or not embedded.is_global or embedded.is_multicast or embedded.is_unspecified:
            return "a private or reserved"
    return None


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 one carries (mapped, 6to4, Teredo)."""
    found: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in (ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())):
            if inner is not None:
                found.append(inner)
    return found


def _is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address.split("%")[0]).is_loopback


def check_hook_url(url: Any, allow_loopback: bool, resolver: Resolver = system_resolver) -> str:
    """The URL, if a hook may be registered with it: Invalid (field `url`) naming why not."""
    target = parse_target(url, allow_loopback)
    try:
        vetted_address(target, allow_loopback, resolver)
    except Refused as refused:
        raise Invalid(f"url refused: {refused}", field="url") from None
    return str(url).strip()
