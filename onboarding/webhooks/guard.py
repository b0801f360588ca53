"""The SSRF guard: an endpoint may only be a public address on the internet.

A URL is checked when it is registered and again before every request (its name may resolve
elsewhere by then: DNS rebinding), and the request then connects to the very address that was
checked. Refused: loopback (unless settings.WEBHOOKS_ALLOW_LOOPBACK, for local testing),
private, link-local (cloud metadata at 169.254.169.254), multicast, reserved, unspecified, shared
(100.64.0.0/10) and every other non-global address, IPv6 forms that carry one included (mapped,
6to4, NAT64); credentials in the URL; any scheme but https (http only with
settings.WEBHOOKS_ALLOW_HTTP).
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from onboarding.core.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Named metadata services resolve to link-local addresses anyway; these are refused by name too,
# so a resolver that answers otherwise for them cannot open the door.
_METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class UnsafeURL(DomainError):
    """The endpoint's URL may not be called: the message says why, for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url", code="unsafe_url")


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`), and what to say to it."""

    scheme: str
    host: str  # the name, for the Host header and TLS
    port: int
    path: str  # path and query
    address: str  # the checked IP the request connects to

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4 (2002::/16, which Python counts as global) or NAT64
    (64:ff9b::/96) address is routed to."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why an address may not be called, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif (embedded := _embedded_ipv4(address)) is not None:
            # Both must pass: the IPv4 address it reaches, and the IPv6 address itself.
            problem = address_problem(embedded)
            if problem is not None:
                return problem
    if address.is_loopback:
        return None if settings.WEBHOOKS_ALLOW_LOOPBACK else "a loopback address"
    for test, what in (
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local (cloud metadata) address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private network address"),
    ):
        if getattr(address, test):
            return what
    if not address.is_global:
        return "an address that is not on the public internet"
    return None


def _parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL("Enter a valid URL.") from None
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if settings.WEBHOOKS_ALLOW_HTTP else {"https"}
    if scheme not in allowed:
        raise UnsafeURL("The URL must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("The URL must not hold a user name or password.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL("The URL has no host.")
    if host in _METADATA_NAMES:
        raise UnsafeURL(f"{host} is a cloud metadata service.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"{host} does not resolve to any address.") from None
    # Scope ids ("fe80::1%eth0") are cut off: the address itself decides.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def url_check(url: str) -> Target:
    """The checked target of `url`, or UnsafeURL. Every address the name resolves to must pass
    (an attacker's name may answer with a public and a private one)."""
    scheme, host, port, path = _parse(url)
    addresses = _resolve(host, port)
    if not addresses:
        raise UnsafeURL(f"{host} does not resolve to any address.")
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            raise UnsafeURL(f"{host} resolves to {address}, {problem}: refused.")
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


REDACTED = "[redacted]"


def url_redact(url: str) -> str:
    """The URL as logs, audit entries and alerts may show it: an integrator's token often rides
    in the query string, the fragment or the userinfo, so those are replaced, never written."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        return REDACTED
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    shown = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else f"{netloc}{parts.path}"
    if parts.query:
        shown += f"?{REDACTED}"
    if parts.fragment:
        shown += f"#{REDACTED}"
    return shown
