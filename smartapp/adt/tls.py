"""The listener's transport security: TLS with client certificates, and who may connect at all.

HIPAA's transmission security standard (45 CFR 164.312(e)(1)) asks for integrity and encryption of ePHI
in transit: production serves TLS 1.2+ and, with ADT_TLS_CLIENT_CA, takes only engines holding a
certificate that CA signed. docs/adt.md tells the interface team what to configure.
"""

import ipaddress
import ssl

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ListenerRefused(Exception):
    """The listener's configuration is unsafe or incomplete: the message says what to set."""


def server_context() -> ssl.SSLContext | None:
    """The TLS context from ADT_TLS_CERT/KEY (None: plain TCP); with ADT_TLS_CLIENT_CA, a client
    certificate signed by it is required. Refuses plain TCP in production unless ADT_PLAINTEXT_ALLOWED."""
    cert, key, client_ca = settings.ADT_TLS_CERT, settings.ADT_TLS_KEY, settings.ADT_TLS_CLIENT_CA
    if bool(cert) != bool(key):
        raise ListenerRefused("Set both ADT_TLS_CERT and ADT_TLS_KEY (or neither).")
    if not cert:
        if client_ca:
            raise ListenerRefused("ADT_TLS_CLIENT_CA needs ADT_TLS_CERT and ADT_TLS_KEY.")
        if settings.PRODUCTION and not settings.ADT_PLAINTEXT_ALLOWED:
            raise ListenerRefused(
                "Refusing to listen for ADT without TLS in production: set ADT_TLS_CERT and ADT_TLS_KEY "
                "(and ADT_TLS_CLIENT_CA), or ADT_PLAINTEXT_ALLOWED=true when a tunnel already encrypts."
            )
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca:
        context.load_verify_locations(cafile=client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def return_context() -> ssl.SSLContext | None:
    """The TLS context of the connections that carry application ACKs back to an engine's listener:
    its certificate verified against ADT_RETURN_TLS_CA (and its host name), smartapp's ADT_TLS_CERT/KEY
    presented as the client certificate when set. None (plain TCP) without a CA; refused in production
    unless ADT_PLAINTEXT_ALLOWED says a tunnel encrypts the link, as for the listener itself."""
    ca = settings.ADT_RETURN_TLS_CA
    if not ca:
        if settings.PRODUCTION and not settings.ADT_PLAINTEXT_ALLOWED:
            raise ListenerRefused("Application ACKs without TLS in production: set ADT_RETURN_TLS_CA.")
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.ADT_TLS_CERT and settings.ADT_TLS_KEY:
        context.load_cert_chain(settings.ADT_TLS_CERT, settings.ADT_TLS_KEY)
    return context


def allowed_networks() -> tuple[Network, ...]:
    """ADT_ALLOWED_SOURCES as networks (a bare address is a /32 or /128)."""
    sources = settings.ADT_ALLOWED_SOURCES
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in sources)
    except ValueError as error:
        raise ListenerRefused(f"ADT_ALLOWED_SOURCES: not an address or network ({error})") from None


def source_allowed(peer: str, networks: tuple[Network, ...]) -> bool:
    """Whether the peer address is in one of the networks (an IPv4-mapped IPv6 address counts as IPv4)."""
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
