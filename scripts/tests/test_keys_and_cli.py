"""The key rules and the pii-guard command, against Python's hmac."""

from __future__ import annotations

import hashlib
import hmac
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pii_guard.duckdb_plugin import session_variables
from pii_guard.keys import KEY_ENV_VAR, KeyProblem, padded_key_blocks, read_key

PII_GUARD = str(Path(sys.executable).parent / "pii-guard")


@pytest.mark.parametrize("key", [b"k" * 32, b"k" * 64, b"k" * 65, bytes(range(200))])
def test_padded_blocks_give_rfc2104_hmac(key):
    """Two SHA-256 calls over the precomputed blocks equal HMAC, long keys included."""
    inner, outer = padded_key_blocks(key)
    message = "Zoë@example.com".encode()
    two_calls = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).hexdigest()
    assert two_calls == hmac.new(key, message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("environ, fragment", [
    ({}, "is not set"),
    ({KEY_ENV_VAR: ""}, "is empty"),
    ({KEY_ENV_VAR: "x" * 31}, "is 31 bytes long"),
])
def test_weak_or_missing_key_is_refused(environ, fragment):
    with pytest.raises(KeyProblem, match=fragment):
        read_key(environ)
    assert session_variables(environ) == {
        "pii_guard_key_error": str(pytest.raises(KeyProblem, read_key, environ).value)
    }


def test_key_is_the_utf8_bytes_of_the_variable():
    assert read_key({KEY_ENV_VAR: "é" * 16}) == ("é" * 16).encode()


def run_cli(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}
    if key is not None:
        env[KEY_ENV_VAR] = key
    return subprocess.run([PII_GUARD, *args], env=env, capture_output=True, text=True)


def test_keygen_prints_fresh_256_bit_keys():
    first, second = run_cli("keygen").stdout.strip(), run_cli("keygen").stdout.strip()
    assert re.fullmatch("[0-9a-f]{64}", first) and first != second
    assert read_key({KEY_ENV_VAR: first})


def test_hash_prints_the_pseudonym_hash_pii_gives():
    key = "a" * 40
    result = run_cli("hash", "--normalize", "email", "  Ann.Lee@Example.COM ", "   ", key=key)
    expected = hmac.new(key.encode(), b"ann.lee@example.com", hashlib.sha256).hexdigest()
    assert result.returncode == 0
    assert result.stdout.splitlines() == [expected, "NULL"]


def test_hash_without_a_key_is_one_clear_error():
    result = run_cli("hash", "x")
    assert result.returncode == 2
    assert result.stderr.startswith("error: pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY is not set")
    assert "Traceback" not in result.stderr
