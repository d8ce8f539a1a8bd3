"""The one guard for connections the servers open to addresses someone else typed.

An institution's admins configure an LDAP server and an OpenID Connect provider; the
servers then connect there with secrets (a bind password, a client secret). Without
a guard an admin could point them at the platform's own network (SSRF): loopback,
private ranges, the cloud's metadata service. So every such address is checked

- when it is saved (``url_problem``: the admin sees a field error), and
- again when the connection is made (``check_url``, or ``guarded_session`` for HTTP,
  which checks every redirect hop too), because DNS can change after saving.

Refused: loopback, private (RFC 1918, ULA), link-local, shared (CGNAT), multicast,
reserved and unspecified addresses, the cloud metadata addresses, names that only
exist inside a network (``localhost``, ``*.internal``, ``*.local``, ...; a trailing
dot changes nothing) and names that spell an address inside them (``127.0.0.1.nip.io``,
``10-0-0-1.sslip.io``, ``7f000001.nip.io``). A name is resolved and every address it
resolves to must pass. The platform operator may allow networks by CIDR in
``OUTBOUND_ALLOWED_NETWORKS`` (for example an institution's directory reached over a
VPN, or the test suite's servers on loopback).

What is left: between the check at connect time and the connection itself, DNS
could still answer differently (rebinding within seconds); connections are not
pinned to the checked address.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, ...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure's wire server
    )
)
INTERNAL_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "internal",  # metadata.google.internal, *.ec2.internal, ...
    "intranet",
    "lan",
    "home.arpa",
    "in-addr.arpa",
    "ip6.arpa",
)
# An address spelt inside a name, as wildcard-DNS services (nip.io, sslip.io) resolve it.
_DOTTED_QUAD = re.compile(r"(?<![0-9])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?![0-9])")
_HEX_LABEL = re.compile(r"(?:^|[.-])([0-9a-f]{8})(?=[.-]|$)")


class OutboundRefused(Exception):
    """The address may not be connected to; ``str()`` says why, for a person to read."""


@functools.cache
def _networks(raw: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in raw)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The operator's allow-list (settings.OUTBOUND_ALLOWED_NETWORKS)."""
    return _networks(tuple(getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", ())))


def address_allowed(address: IPAddress, *, use_allow_list: bool = True) -> bool:
    """True for a public unicast address, or one inside the operator's allow-list."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if use_allow_list and any(address in network for network in allowed_networks()):
        return True
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and address not in METADATA_ADDRESSES
    )


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # What C resolvers also accept as IPv4: 2130706433, 0x7f.1, 0177.0.0.1, 127.1.
    if re.fullmatch(r"[0-9a-fx.]+", host) and re.match(r"[0-9]", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _spelt_addresses(name: str) -> list[IPAddress]:
    found: list[IPAddress] = []
    for match in _DOTTED_QUAD.finditer(name):
        try:
            found.append(ipaddress.IPv4Address(".".join(match.groups())))
        except ValueError:
            continue
    for match in _HEX_LABEL.finditer(name):
        found.append(ipaddress.IPv4Address(int(match.group(1), 16)))
    return found


def normalised_host(host: str) -> str:
    """Lower case, IDNA (punycode), no brackets and no trailing dots; OutboundRefused if
    it is no host name at all."""
    host = (host or "").strip().strip("[]").rstrip(".").lower()
    if not host:
        raise OutboundRefused("The address names no server.")
    if _literal_address(host) is not None or ":" in host:
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise OutboundRefused("The server's name is not a valid host name.") from None


def _resolve(host: str, port: int | None) -> list[IPAddress] | None:
    try:
        infos = socket.getaddrinfo(host, port or 0, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def check_host(
    host: str,
    *,
    port: int | None = None,
    resolve: bool = True,
    require_resolution: bool = True,
    use_allow_list: bool = True,
) -> None:
    """OutboundRefused unless a connection to ``host`` may be opened.

    ``resolve``: look the name up and check every address it has. A name that does
    not resolve is refused when ``require_resolution`` (at connect time) and passes
    otherwise (at save time: its DNS may come later; connecting checks again).
    ``use_allow_list``: honour OUTBOUND_ALLOWED_NETWORKS (not for links that
    people's browsers follow).
    """
    host = normalised_host(host)
    refused = OutboundRefused(
        "This address points inside the platform's own network (loopback, private, "
        "link-local or metadata addresses are not allowed)."
    )
    literal = _literal_address(host)
    if literal is not None:
        if not address_allowed(literal, use_allow_list=use_allow_list):
            raise refused
        return
    for spelt in _spelt_addresses(host):
        if not address_allowed(spelt, use_allow_list=use_allow_list):
            raise refused
    internal_name = (
        "." not in host
        or host.endswith(tuple(f".{suffix}" for suffix in INTERNAL_SUFFIXES))
        or host in INTERNAL_SUFFIXES
    )
    if not resolve:
        if internal_name:
            raise refused
        return
    addresses = _resolve(host, port)
    if addresses is None:
        if internal_name:
            raise refused
        if require_resolution:
            raise OutboundRefused(f"The server name {host} does not resolve.")
        return
    if not addresses or not all(
        address_allowed(address, use_allow_list=use_allow_list) for address in addresses
    ):
        raise refused


def check_url(
    url: str,
    *,
    schemes: tuple[str, ...] = ("https", "http"),
    resolve: bool = True,
    require_resolution: bool = True,
    use_allow_list: bool = True,
) -> None:
    """OutboundRefused unless ``url`` has one of ``schemes`` and a host ``check_host`` passes."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise OutboundRefused("This is not a valid address.") from None
    if parts.scheme.lower() not in schemes:
        raise OutboundRefused(f"Use an address starting with {' or '.join(schemes)}://.")
    check_host(
        parts.hostname or "",
        port=port,
        resolve=resolve,
        require_resolution=require_resolution,
        use_allow_list=use_allow_list,
    )


def url_problem(url: str, *, schemes: tuple[str, ...] = ("https", "http")) -> str | None:
    """The reason ``url`` may not be saved as a server's address, or None (save-time check)."""
    try:
        check_url(url, schemes=schemes, require_resolution=False)
    except OutboundRefused as refused:
        return str(refused)
    return None


class OutboundRequestRefused(requests.ConnectionError):
    """A request (or a redirect) to an address the guard refuses; never sent."""


class _GuardedAdapter(HTTPAdapter):
    def send(self, request, *args, **kwargs):
        try:
            check_url(request.url)
        except OutboundRefused as refused:
            raise OutboundRequestRefused(f"{refused} ({urlsplit(request.url).hostname})") from None
        return super().send(request, *args, **kwargs)


def guarded_session() -> requests.Session:
    """A requests session whose every request, redirects included, passes ``check_url``.

    Proxies from the environment are not used: the guard must see the real target.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = _GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
