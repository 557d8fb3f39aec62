"""The pii_guard encryption key and the ciphertext format of encrypt_pii.

AES-256-GCM, 12-byte IV, 16-byte tag, no associated data. A ciphertext is
``base64(iv || ciphertext || tag)`` (standard alphabet, padded, one line):
Spark's ``aes_encrypt(..., 'GCM')`` writes ``iv || ciphertext || tag`` and
``base64()`` of it is this format, the DuckDB plugin and the PostgreSQL keyring
write the same bytes. Any engine (or this module) decrypts what any other
encrypted under the same key.

The key is ``DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY``: 64 hex characters (32
bytes), its own secret, never the HMAC key (DBT_ENV_SECRET_PII_GUARD_KEY).

>>> key = bytes(range(32))
>>> decrypt_text(key, encrypt_text(key, "Zoë", iv=bytes(12)))
'Zoë'
>>> encrypt_text(key, "a", iv=bytes(12))
'AAAAAAAAAAAAAAAAb/Ogwjy9THP6Z/+UFDsgkDg='
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping

from pii_guard.keys import KEY_ENV_VAR, KeyProblem

ENCRYPTION_KEY_ENV_VAR = "DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY"
IV_BYTES = 12
TAG_BYTES = 16
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


class DecryptionProblem(ValueError):
    """A ciphertext that is malformed or fails authentication (wrong key or tampered)."""


def read_encryption_key(environ: Mapping[str, str]) -> bytes:
    """The 32-byte AES key from ``environ``, or raise :class:`KeyProblem`
    (never showing the value).

    >>> read_encryption_key({ENCRYPTION_KEY_ENV_VAR: "00" * 31})
    Traceback (most recent call last):
    ...
    pii_guard.keys.KeyProblem: pii_guard: DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY is not 64 hex characters (32 bytes). Generate one with `pii-guard keygen`; it must differ from DBT_ENV_SECRET_PII_GUARD_KEY.
    """
    value = environ.get(ENCRYPTION_KEY_ENV_VAR)
    if value is None or value == "":
        state = "is not set" if value is None else "is empty"
        raise KeyProblem(
            f"pii_guard: {ENCRYPTION_KEY_ENV_VAR} {state}. encrypt_pii and decrypt_pii need it: 64 hex "
            f"characters (generate them with `pii-guard keygen`), different from {KEY_ENV_VAR}, in the "
            "environment that runs dbt; never in dbt vars, profiles or git.")
    if not _HEX_KEY.fullmatch(value):
        raise KeyProblem(
            f"pii_guard: {ENCRYPTION_KEY_ENV_VAR} is not 64 hex characters (32 bytes). Generate one with "
            f"`pii-guard keygen`; it must differ from {KEY_ENV_VAR}.")
    key = bytes.fromhex(value)
    hmac_key = environ.get(KEY_ENV_VAR)
    if hmac_key is not None and (hmac_key.strip().lower() == value.lower()
                                 or hmac_key.encode("utf-8", "surrogateescape") == key):
        raise KeyProblem(
            f"pii_guard: {ENCRYPTION_KEY_ENV_VAR} is the same key as {KEY_ENV_VAR}. Use a separate key "
            "(`pii-guard keygen`): a key that encrypts must not also make the pseudonyms.")
    if len(set(key)) < 8:
        raise KeyProblem(f"pii_guard: {ENCRYPTION_KEY_ENV_VAR} uses fewer than 8 different byte values; "
                         "generate a key with `pii-guard keygen`.")
    return key


def encrypt_bytes(key: bytes, plaintext: bytes, iv: bytes | None = None) -> bytes:
    """``iv || ciphertext || tag`` under AES-256-GCM; a random IV unless one is given (vectors only)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    iv = os.urandom(IV_BYTES) if iv is None else iv
    assert len(iv) == IV_BYTES
    return iv + AESGCM(key).encrypt(iv, plaintext, None)


def encrypt_text(key: bytes, text: str, iv: bytes | None = None) -> str:
    return base64.b64encode(encrypt_bytes(key, text.encode("utf-8"), iv)).decode("ascii")


def decrypt_text(key: bytes, ciphertext: str) -> str:
    """The plaintext of a :func:`encrypt_text` ciphertext, or raise :class:`DecryptionProblem`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        blob = base64.b64decode("".join(ciphertext.split()), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionProblem("pii_guard.decrypt_pii: a value is not base64 text; it is not a "
                                "pii_guard ciphertext.") from None
    if len(blob) < IV_BYTES + TAG_BYTES:
        raise DecryptionProblem("pii_guard.decrypt_pii: a value is too short to be a pii_guard ciphertext.")
    try:
        plaintext = AESGCM(key).decrypt(blob[:IV_BYTES], blob[IV_BYTES:], None)
    except InvalidTag:
        raise DecryptionProblem("pii_guard.decrypt_pii: a value failed authentication: it was encrypted "
                                "under another key, or altered.") from None
    return plaintext.decode("utf-8")
