"""The key rules and the pii-guard command, against Python's hmac."""

from __future__ import annotations

import hashlib
import hmac
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pyarrow

from pii_guard.duckdb_plugin import hmac_batches
from pii_guard.keys import KEY_ENV_VAR, MIN_DISTINCT_BYTES, KeyProblem, padded_key_blocks, read_key

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
    ({KEY_ENV_VAR: "k" * 32}, "uses only 1 different byte value; a key needs at least 8"),
    ({KEY_ENV_VAR: "abcdefg" * 5}, "uses only 7 different byte values; a key needs at least 8"),
    ({KEY_ENV_VAR: "é" * 16}, "uses only 2 different byte values"),  # c3 a9, sixteen times
    # Bytes that are not UTF-8 reach os.environ as surrogate escapes.
    ({KEY_ENV_VAR: "\udcff" + "0123456789abcdef" * 2}, "is not valid UTF-8 text"),
])
def test_weak_or_missing_key_is_refused(environ, fragment):
    with pytest.raises(KeyProblem, match=fragment):
        read_key(environ)
    # The DuckDB function raises the same reason when a query calls it.
    reason = str(pytest.raises(KeyProblem, read_key, environ).value)
    with pytest.raises(KeyProblem) as raised:
        hmac_batches(environ)(pyarrow.array(["ann@example.com"]))
    assert str(raised.value) == reason


def test_key_is_the_utf8_bytes_of_the_variable():
    key = "é" * 8 + "0123456789abcdef"
    assert read_key({KEY_ENV_VAR: key}) == b"\xc3\xa9" * 8 + b"0123456789abcdef"


def test_eight_different_byte_values_are_enough():
    assert MIN_DISTINCT_BYTES == 8
    assert read_key({KEY_ENV_VAR: "abcdefgh" * 4}) == b"abcdefgh" * 4


def test_weak_key_message_says_what_to_do():
    message = str(pytest.raises(KeyProblem, read_key, {KEY_ENV_VAR: "k" * 32}).value)
    assert message == ("pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY uses only 1 different byte value; a key needs "
                       "at least 8 (a repeated character or short pattern is guessable). Generate a key with "
                       "`pii-guard keygen`.")


def test_key_that_is_not_utf8_is_refused_without_showing_it():
    key = "secret-\udcff-" + "0123456789abcdef" * 2
    message = str(pytest.raises(KeyProblem, read_key, {KEY_ENV_VAR: key}).value)
    assert message == ("pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY is not valid UTF-8 text. Set it to a key "
                       "generated with `pii-guard keygen` (64 hex characters).")


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
    key = "0123456789abcdef" * 2 + "a" * 8
    result = run_cli("hash", "--normalize", "email", "  Ann.Lee@Example.COM ", "   ", key=key)
    expected = hmac.new(key.encode(), b"ann.lee@example.com", hashlib.sha256).hexdigest()
    assert result.returncode == 0
    assert result.stdout.splitlines() == [expected, "NULL"]


def test_hash_without_a_key_is_one_clear_error():
    result = run_cli("hash", "x")
    assert result.returncode == 2
    assert result.stderr.startswith("error: pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY is not set")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, key, message", [
    (["hash", "x"], "k" * 32, "error: pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY uses only 1 different byte value"),
    (["hash", "x"], "\udcff" + "0123456789abcdef" * 2,
     "error: pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY is not valid UTF-8 text"),
    (["hash", "ok", "\udcff"], "0123456789abcdef" * 2, "error: VALUE 2 is not valid UTF-8 text"),
], ids=["weak-key", "key-not-utf8", "value-not-utf8"])
def test_hash_with_a_bad_key_or_value_is_one_line_exit_2(args, key, message):
    """subprocess hands the surrogate escapes to the command as the raw byte 0xff."""
    result = run_cli(*args, key=key)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
