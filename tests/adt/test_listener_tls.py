"""TLS with client certificates (ADT_TLS_CERT/KEY, ADT_TLS_CLIENT_CA): an engine holding a certificate
the configured CA signed gets its ACK; one without a certificate, or with one another CA signed, fails the
handshake and nothing is stored. Certificates are made here (cryptography), never read from disk."""

import datetime as dt
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smartapp.adt.models import InboundMessage
from tests.adt.listener_harness import listening
from tests.adt.mllp_client import MllpClient, ack_fields, adt

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime.now(dt.UTC)


def issue(subject: str, *, issuer=None, ca: bool = False, server: bool = False):
    """(certificate, key), signed by issuer (certificate, key) or self-signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    signer_cert, signer_key = issuer or (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(signer_cert.subject if signer_cert else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(minutes=5))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer_key, hashes.SHA256()), key


def write_pair(folder, name: str, pair) -> tuple[str, str]:
    cert, key = pair
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def pki(tmp_path, settings):
    """A CA that signs the listener's and the engine's certificates, and a CA nobody configured."""
    ca, other_ca = issue("test hospital CA", ca=True), issue("another CA", ca=True)
    settings.ADT_TLS_CERT, settings.ADT_TLS_KEY = write_pair(
        tmp_path, "server", issue("localhost", issuer=ca, server=True)
    )
    settings.ADT_TLS_CLIENT_CA = write_pair(tmp_path, "ca", ca)[0]
    return {
        "ca": write_pair(tmp_path, "ca", ca)[0],
        "engine": write_pair(tmp_path, "engine", issue("engine", issuer=ca)),
        "stranger": write_pair(tmp_path, "stranger", issue("engine", issuer=other_ca)),
    }


def engine_context(pki, certificate: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=pki["ca"])
    if certificate:
        context.load_cert_chain(*pki[certificate])
    return context


def exchange_over_tls(pki, certificate: str | None) -> bytes | None:
    """The ACK the listener sends over TLS, or None when the handshake (or the first read) fails."""
    with listening() as listener:
        try:
            with MllpClient(listener.address, tls=engine_context(pki, certificate)) as client:
                return client.exchange(adt("C1"))
        except (ssl.SSLError, ConnectionError):
            return None


def test_an_engine_with_a_certificate_from_the_configured_ca_gets_its_ack(pki):
    ack = exchange_over_tls(pki, "engine")

    assert ack_fields(ack)["code"] == "AA"
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize("certificate", [None, "stranger"], ids=["no certificate", "another CA"])
def test_an_engine_without_a_good_certificate_fails_the_handshake(pki, certificate):
    assert exchange_over_tls(pki, certificate) is None
    assert not InboundMessage.objects.exists()
