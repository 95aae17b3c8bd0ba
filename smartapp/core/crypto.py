"""Encryption at rest for tokens and secrets: a rotatable key set, each ciphertext bound to its row.

Keys: settings.FIELD_ENCRYPTION_KEYS, newest first (Fernet keys). New writes use the newest; any key
decrypts. To rotate, put a new key first, run `manage.py reencrypt_secrets` (every column a model lists in
its `encrypted_fields` moves to the newest key), then drop the old key.

Fernet has no associated data, so the plaintext carries the id of the row it belongs to and decryption
checks it: a ciphertext copied into another row does not decrypt there.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(Exception):
    """Unknown key, tampered ciphertext, or a ciphertext that belongs to another row."""

    def __init__(self):
        super().__init__("stored secret could not be decrypted")


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str, *, bound_to: str) -> str:
    """Encrypt `value` for the row identified by `bound_to` (e.g. "grant:<uuid>")."""
    plaintext = json.dumps({"row": bound_to, "v": value}, separators=(",", ":"))
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str, *, bound_to: str) -> str:
    """The value encrypted for `bound_to`, or DecryptionFailed."""
    try:
        payload = json.loads(_fernet().decrypt(ciphertext.encode()))
    except (InvalidToken, ValueError):
        raise DecryptionFailed() from None
    if payload.get("row") != bound_to:
        raise DecryptionFailed()
    return payload["v"]


def is_current(ciphertext: str) -> bool:
    """True when the newest key alone decrypts `ciphertext` (nothing to re-encrypt)."""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the newest key (the row binding is kept)."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed() from None
