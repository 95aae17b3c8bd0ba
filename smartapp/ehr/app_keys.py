"""smartapp's own signing key, for private_key_jwt client assertions (SMART client-confidential-asymmetric).

The private key lives in a PEM file outside the repo (`SMARTAPP_SIGNING_KEY_FILE`); development makes one
on first use, production must be given one. The public half is served at `/.well-known/jwks.json`.
"""

import base64
import hashlib
import json
import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS384"  # SMART asks servers to support RS384 and ES384 for client assertions
KEY_FILE_NAME = "smartapp-signing-key.pem"


def signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """(kid, private key): the key from SMARTAPP_SIGNING_KEY_FILE; kid is its RFC 7638 thumbprint."""
    return _load(_key_path())


def public_jwks() -> dict:
    """The JWKS to register with EHRs: public members only, with kid, alg and use."""
    kid, private_key = signing_key()
    public = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    return {
        "keys": [
            {"kty": "RSA", "n": public["n"], "e": public["e"], "kid": kid, "alg": ALGORITHM, "use": "sig"}
        ]
    }


def _key_path() -> Path:
    configured = getattr(settings, "SMARTAPP_SIGNING_KEY_FILE", "")
    if configured:
        return Path(configured)
    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured("SMARTAPP_SIGNING_KEY_FILE must name the app's RSA signing key (PEM)")
    return Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var")) / KEY_FILE_NAME


@cache
def _load(path: Path) -> tuple[str, rsa.RSAPrivateKey]:
    pem = path.read_bytes() if path.exists() else _create(path)
    private_key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("SMARTAPP_SIGNING_KEY_FILE must hold an RSA private key")
    return _thumbprint(private_key.public_key()), private_key


def _create(path: Path) -> bytes:
    """A new 2048-bit RSA key at `path`; written aside and linked into place so one process wins a race."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(pem)
    temporary.chmod(0o600)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_bytes()


def _thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 §3: SHA-256 of the required members in lexicographic order, no whitespace."""
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
