"""Which hosts a registration in launch_configs/ may name, and the literal origin of an issuer pattern.

Every host a registration names (its `issuer`, the origin of its `issuer_pattern`, `extra_hosts`,
`embedding_origins`) becomes a place the app sends codes, tokens and patient queries, or lets frame it.
So a host must be a public DNS name or a public IP address. Refused (SECURITY.md R1, R2; ASVS 1.3.6):
- wildcards and anything that is not a plain host name (`*`, `*.example.com`, `%`, `_`...);
- private addresses (RFC 1918, unique-local fc00::/7, CGNAT 100.64/10), link-local (169.254/16 with
  the 169.254.169.254 cloud metadata service, fe80::/10), unspecified (0.0.0.0, ::), multicast,
  reserved and documentation ranges: every address that is not globally routable (ipaddress.is_global),
  IPv4-mapped IPv6 judged by its IPv4 address;
- numeric hosts that are not dotted quads ("2130706433", "0x7f.1", "10.1": resolvers read them as IPs);
- cloud metadata names (metadata.google.internal, ...), single-label names (resolved through search
  domains, usually to internal hosts) and private-use suffixes (.internal, .local, .localdomain,
  .home.arpa);
- loopback (127/8, ::1, localhost) except where development allows it (`loopback_ok`).
Names are not resolved at start-up: a public name that resolves to a private address is the egress
guard's and the network's to stop, not this module's.
"""

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_NUMERIC = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?")
_METADATA = frozenset({"metadata.google.internal", "metadata.goog", "instance-data.ec2.internal", "metadata"})
_PRIVATE_SUFFIXES = (".internal", ".local", ".localdomain", ".home.arpa", ".intranet", ".lan", ".corp")
_HOST_PORT = re.compile(r"(?P<host>\[[0-9a-fA-F:.]+\]|[^:\[\]/]+)(?::(?P<port>[0-9]{1,5}))?")

# An issuer pattern: optional ^, a literal scheme, host (dots escaped) and port, "/", then the path
# pattern, optional $. The host may not hold a single regex construct: the origin is a fixed value.
_ISSUER_PATTERN = re.compile(
    r"\^?(?P<scheme>https?)://(?P<host>(?:[A-Za-z0-9-]|\\-|\\\.)+)(?::(?P<port>[0-9]{1,5}))?/(?P<path>.*?)"
    r"(?<!\\)\$?",
    re.S,
)


def host_problem(host: str, *, loopback_ok: bool) -> str | None:
    """Why `host` may not be named by a registration (a short phrase), or None when it may."""
    if not isinstance(host, str) or not host:
        return "an empty host"
    host = host.lower().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _name_problem(host, loopback_ok=loopback_ok)
    return _address_problem(address, loopback_ok=loopback_ok)


def is_loopback(host: str) -> bool:
    host = host.lower().removeprefix("[").removesuffix("]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _address_problem(address, *, loopback_ok: bool) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if loopback_ok else "a loopback address (allowed in development only)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local or cloud metadata address"
    if address.is_private or not address.is_global:
        return "a private or reserved address"
    return None


def _name_problem(host: str, *, loopback_ok: bool) -> str | None:
    if "*" in host:
        return "a wildcard"
    labels = host.removesuffix(".").split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return "not a host name"
    if _NUMERIC.fullmatch(host):
        return "a numeric host that is not a dotted-quad address"
    if is_loopback(host):
        return None if loopback_ok else "a loopback name (allowed in development only)"
    name = ".".join(labels)
    if name in _METADATA:
        return "a cloud metadata host"
    if len(labels) < 2 or name.endswith(_PRIVATE_SUFFIXES):
        return "a private or single-label host name"
    return None


def split_host_port(entry: str) -> tuple[str, int | None] | None:
    """("host", port or None) of an `extra_hosts` entry "host" or "host:port"; None when malformed."""
    match = _HOST_PORT.fullmatch(entry) if isinstance(entry, str) else None
    if match is None:
        return None
    port = int(match["port"]) if match["port"] else None
    if port is not None and not 0 < port < 65536:
        return None
    return match["host"].lower(), port


def origin_text(scheme: str, host: str, port: int | None) -> str:
    """scheme://host[:port], the default port left out (the form canonical_issuer writes)."""
    host = host.lower()
    netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
    if port and port != {"http": 80, "https": 443}[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


@dataclass(frozen=True)
class IssuerPattern:
    origin: str  # scheme://host[:port], literal
    host: str
    path: str  # the regular expression the issuer's path (after the first "/") must fully match


@lru_cache(maxsize=256)
def issuer_pattern(pattern: str) -> IssuerPattern | None:
    """The literal origin and the path pattern of `pattern`; None when its origin is not literal."""
    match = _ISSUER_PATTERN.fullmatch(pattern) if isinstance(pattern, str) else None
    if match is None:
        return None
    host = match["host"].replace("\\.", ".").replace("\\-", "-").lower()
    port = int(match["port"]) if match["port"] else None
    if "\\" in host or (port is not None and not 0 < port < 65536):
        return None
    try:
        re.compile(match["path"])
    except re.error:
        return None
    return IssuerPattern(origin_text(match["scheme"], host, port), host, match["path"])
