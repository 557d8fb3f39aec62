"""The PostgreSQL keyring: the HMAC key inside the database, readable by one
role only, and a function that hashes with it.

Any SQL that runs in dbt's session runs as dbt's role: a view over a function,
or a row-level-security policy, owned by whoever loads a source, can read
every setting of the session (``current_setting``, ``pg_settings.reset_val``)
and everything dbt's role can read. So on PostgreSQL the key is never in dbt's
session at all. ``pii-guard postgres-keyring install`` stores it, once per
database, in a table owned by the role :data:`KEYHOLDER_ROLE` (NOLOGIN) that
nobody else can read, and creates :data:`HMAC_FUNCTION`, a ``SECURITY DEFINER``
function owned by that role with a fixed ``search_path`` and schema-qualified
calls, so a caller can have a value hashed but never read the key, and
:data:`PSEUDONYMIZE_FUNCTION`, pseudonymize_int's keyed permutation, made the
same way. dbt's role gets EXECUTE on them, nothing else.

The key travels as COPY data (never statement text, which the server may
log), as its exact UTF-8 bytes: backslashes, spaces and trailing whitespace
survive, so pseudonyms match DuckDB, Spark and ``pii-guard hash``.

>>> HMAC_FUNCTION
'pii_guard_keyring.hmac_sha256_hex'
"""

from __future__ import annotations

import io
import re

from collections.abc import Sequence
from typing import Any

KEYRING_SCHEMA = "pii_guard_keyring"
# A second keyring (another key, e.g. for developers) lives in a schema named
# like this; the macros read it from the var pii_guard_keyring_schema, and
# pii-guard check recognizes calls into any such schema.
KEYRING_SCHEMA_PATTERN = re.compile(r"pii_guard_keyring[a-z0-9_]*")
KEYHOLDER_ROLE = "pii_guard_keyholder"
HMAC_FUNCTION = f"{KEYRING_SCHEMA}.hmac_sha256_hex"
PSEUDONYMIZE_FUNCTION = f"{KEYRING_SCHEMA}.pseudonymize_int"


def keyring_functions(schema: str = KEYRING_SCHEMA) -> tuple[str, str]:
    """Each function of a keyring with the argument types GRANT and ALTER name it by.

    >>> keyring_functions("pii_guard_keyring_dev")[0]
    'pii_guard_keyring_dev.hmac_sha256_hex(text)'
    """
    return (f"{schema}.hmac_sha256_hex(text)", f"{schema}.pseudonymize_int(bigint,bigint,bigint)")


def encryption_functions(schema: str = KEYRING_SCHEMA) -> tuple[str, str]:
    """encrypt_pii and decrypt_pii of a keyring, as GRANT names them.

    >>> encryption_functions()[1]
    'pii_guard_keyring.decrypt_pii(text)'
    """
    return (f"{schema}.encrypt_pii(text)", f"{schema}.decrypt_pii(text)")


# AES-256-GCM in PL/pgSQL over pgcrypto's AES block (pgcrypto has no GCM
# mode): private to the keyholder, executed only inside encrypt_pii/decrypt_pii.
def _gcm_helpers(schema: str) -> tuple[str, ...]:
    return (f"{schema}.gcm_gmul(bit,bit)", f"{schema}.gcm_tag(bytea,bytea,bytea)",
            f"{schema}.gcm_keystream(bytea,bytea,integer)", f"{schema}.gcm_seal(bytea,bytea,bytea)",
            f"{schema}.gcm_open(bytea,bytea)")


FUNCTIONS = keyring_functions()
CLEARED_ROLE = "pii_guard_cleared"
NO_ENCRYPTION_KEY_MESSAGE = ("pii_guard: the keyring holds no encryption key. Install it with "
                             "`pii-guard postgres-keyring --grant <dbt role>` with "
                             "DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY set; see docs/macros.md, Encryption.")
NO_KEY_MESSAGE = ("pii_guard: the keyring holds no HMAC key. Install it with "
                  "`pii-guard postgres-keyring install --grant <dbt role>`; see docs/engines-and-keys.md, Key setup.")


class KeyringProblem(ValueError):
    """The keyring cannot be installed safely; the message says what to do."""


def _one(cursor: Any, sql: str, parameters: Sequence[Any] = ()) -> Any:
    cursor.execute(sql, parameters)
    row = cursor.fetchone()
    return None if row is None else row[0]


def _pgcrypto_schema(cursor: Any) -> str:
    schema = _one(cursor, "select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace "
                          "where e.extname = 'pgcrypto'")
    if schema is None:
        raise KeyringProblem("pii_guard: the pgcrypto extension is not installed in this database. "
                             "Run `create extension pgcrypto` as its owner, then install the keyring again.")
    return schema


def _require_owned_by_keyholder(cursor: Any, schema: str) -> None:
    """An existing schema of that name owned by anyone else could hold a look-alike function."""
    owner = _one(cursor, "select pg_get_userbyid(nspowner) from pg_namespace where nspname = %s", [schema])
    if owner not in (None, KEYHOLDER_ROLE):
        raise KeyringProblem(f"pii_guard: the schema {schema} exists and belongs to {owner}, not "
                             f"{KEYHOLDER_ROLE}. Drop it (or find out who created it) before installing the keyring.")


def install_keyring(connection: Any, key: bytes, grant_to: Sequence[str], schema: str = KEYRING_SCHEMA,
                    encryption_key: bytes | None = None, cleared_role: str = CLEARED_ROLE) -> None:
    """Create (or re-key) the keyring in ``schema`` and grant its functions to ``grant_to``.

    Runs in one transaction on ``connection`` (psycopg2), as a role that may
    create roles and schemas; nothing is left half-made on error.

    ``encryption_key`` (32 bytes) replaces the keyring's encryption key; None
    keeps the one stored (if any). encrypt_pii is granted to ``grant_to``,
    decrypt_pii to ``grant_to`` and ``cleared_role`` (created NOLOGIN when
    missing), and decrypts only for members of ``cleared_role``.
    """
    if encryption_key is not None and len(encryption_key) != 32:
        raise KeyringProblem("pii_guard: the encryption key must be 32 bytes (64 hex characters).")
    if encryption_key is not None and encryption_key == key:
        raise KeyringProblem("pii_guard: the encryption key is the HMAC key; use a separate key (`pii-guard keygen`).")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", cleared_role):
        raise KeyringProblem(f"pii_guard: the cleared role must be a plain lower-case role name; got {cleared_role!r}.")
    if not KEYRING_SCHEMA_PATTERN.fullmatch(schema):
        raise KeyringProblem(f"pii_guard: the keyring schema must be {KEYRING_SCHEMA} or start with it "
                             f"(lower-case letters, digits, _), e.g. {KEYRING_SCHEMA}_dev; got {schema!r}.")
    functions = keyring_functions(schema)
    with connection:
        with connection.cursor() as cursor:
            _require_owned_by_keyholder(cursor, schema)
            pgcrypto = _pgcrypto_schema(cursor)
            if _one(cursor, "select 1 from pg_roles where rolname = %s", [KEYHOLDER_ROLE]) is None:
                cursor.execute(f"create role {KEYHOLDER_ROLE} nologin")
            cursor.execute(f"create schema if not exists {schema} authorization {KEYHOLDER_ROLE}")
            cursor.execute(f"revoke all on schema {schema} from public")
            cursor.execute(f"create table if not exists {schema}.hmac_key "
                           "(id integer primary key check (id = 1), key bytea not null)")
            cursor.execute(f"alter table {schema}.hmac_key owner to {KEYHOLDER_ROLE}")
            cursor.execute(f"revoke all on {schema}.hmac_key from public")
            cursor.execute(f"truncate {schema}.hmac_key")
            # COPY data is not statement text: log_statement never sees the key.
            cursor.copy_expert(f"copy {schema}.hmac_key (id, key) from stdin",
                               _copy_row(key))
            # plpgsql, not sql: an empty keyring must raise, never hash to NULL.
            cursor.execute(f"""
                create or replace function {schema}.hmac_sha256_hex(message text) returns text
                language plpgsql stable strict security definer parallel safe
                set search_path = pg_catalog, pg_temp
                as $function$
                declare
                  hmac_key bytea;
                begin
                  select k.key into hmac_key from {schema}.hmac_key as k;
                  if hmac_key is null then
                    raise exception '{NO_KEY_MESSAGE}';
                  end if;
                  return encode({pgcrypto}.hmac(convert_to(message, 'UTF8'), hmac_key, 'sha256'), 'hex');
                end
                $function$""")
            cursor.execute(_pseudonymize_function_sql(pgcrypto, schema))
            _install_encryption(cursor, pgcrypto, schema, encryption_key, cleared_role)
            for function in functions + encryption_functions(schema) + _gcm_helpers(schema):
                cursor.execute(f"alter function {function} owner to {KEYHOLDER_ROLE}")
                cursor.execute(f"revoke all on function {function} from public")
            cursor.execute(f'grant usage on schema {schema} to "{cleared_role}"')
            cursor.execute(f'grant execute on function {encryption_functions(schema)[1]} to "{cleared_role}"')
            for role in grant_to:
                if _one(cursor, "select 1 from pg_roles where rolname = %s", [role]) is None:
                    raise KeyringProblem(f"pii_guard: the role {role!r} does not exist; create it or pass "
                                         "the role dbt connects as to --grant.")
                cursor.execute(f'grant usage on schema {schema} to "{role}"')
                for function in functions + encryption_functions(schema):
                    cursor.execute(f'grant execute on function {function} to "{role}"')


def _install_encryption(cursor: Any, pgcrypto: str, schema: str, encryption_key: bytes | None,
                        cleared_role: str) -> None:
    """The encryption key's table, AES-256-GCM over pgcrypto's AES, and
    encrypt_pii / decrypt_pii (docs/macros.md, Encryption)."""
    if _one(cursor, "select 1 from pg_roles where rolname = %s", [cleared_role]) is None:
        cursor.execute(f"create role {cleared_role} nologin")
    cursor.execute(f"create table if not exists {schema}.encryption_key "
                   "(id integer primary key check (id = 1), key bytea not null check (length(key) = 32))")
    cursor.execute(f"alter table {schema}.encryption_key owner to {KEYHOLDER_ROLE}")
    cursor.execute(f"revoke all on {schema}.encryption_key from public")
    if encryption_key is not None:
        cursor.execute(f"truncate {schema}.encryption_key")
        cursor.copy_expert(f"copy {schema}.encryption_key (id, key) from stdin", _copy_row(encryption_key))
    helper = "language plpgsql immutable strict parallel safe set search_path = pg_catalog, pg_temp"
    # GF(2^128) product of GCM (NIST SP 800-38D, algorithm 1): bit 0 is the
    # leftmost bit, as get_bit numbers a bit string.
    cursor.execute(f"""
        create or replace function {schema}.gcm_gmul(x bit, y bit) returns bit {helper} as $function$
        declare
          z bit(128) := repeat('0', 128)::bit(128);
          v bit(128) := y;
          r bit(128) := ('11100001' || repeat('0', 120))::bit(128);
        begin
          for i in 0..127 loop
            if get_bit(x, i) = 1 then z := z # v; end if;
            if get_bit(v, 127) = 1 then v := (v >> 1) # r; else v := v >> 1; end if;
          end loop;
          return z;
        end
        $function$""")
    # The tag: GHASH_H(ciphertext padded || 0^64 || bit length) XOR E(K, J0); no associated data.
    cursor.execute(f"""
        create or replace function {schema}.gcm_tag(h bytea, ej0 bytea, ciphertext bytea) returns bytea {helper}
        as $function$
        declare
          hb bit(128) := ('x' || encode(h, 'hex'))::bit(128);
          y bit(128) := repeat('0', 128)::bit(128);
          padded bytea := ciphertext || decode(repeat('00', (16 - length(ciphertext) % 16) % 16), 'hex');
          t bit(128);
        begin
          for i in 0..length(padded) / 16 - 1 loop
            y := {schema}.gcm_gmul(y # ('x' || encode(substring(padded from 1 + 16 * i for 16), 'hex'))::bit(128), hb);
          end loop;
          y := {schema}.gcm_gmul(y # (repeat('0', 64)::bit(64) || (length(ciphertext)::bigint * 8)::bit(64))::bit(128), hb);
          t := y # ('x' || encode(ej0, 'hex'))::bit(128);
          return decode(lpad(to_hex(substring(t from 1 for 32)::bit(32)::integer), 8, '0')
                     || lpad(to_hex(substring(t from 33 for 32)::bit(32)::integer), 8, '0')
                     || lpad(to_hex(substring(t from 65 for 32)::bit(32)::integer), 8, '0')
                     || lpad(to_hex(substring(t from 97 for 32)::bit(32)::integer), 8, '0'), 'hex');
        end
        $function$""")
    # H = E(K, 0^128), E(K, J0) and the CTR keystream from inc32(J0), in one
    # ECB call (each block enciphered on its own): J0 = iv || 0x00000001.
    cursor.execute(f"""
        create or replace function {schema}.gcm_keystream(aes_key bytea, iv bytea, blocks integer)
        returns bytea {helper} as $function$
        declare
          input bytea := decode(repeat('00', 16), 'hex') || iv || int4send(1);
        begin
          for i in 0..blocks - 1 loop
            input := input || iv || int4send(2 + i);
          end loop;
          return {pgcrypto}.encrypt(input, aes_key, 'aes-ecb/pad:none');
        end
        $function$""")
    cursor.execute(f"""
        create or replace function {schema}.gcm_seal(aes_key bytea, iv bytea, plaintext bytea) returns bytea {helper}
        as $function$
        declare
          n integer := length(plaintext);
          stream bytea := {schema}.gcm_keystream(aes_key, iv, (length(plaintext) + 15) / 16);
          ciphertext bytea := plaintext;
        begin
          for i in 0..n - 1 loop
            ciphertext := set_byte(ciphertext, i, get_byte(plaintext, i) # get_byte(stream, 32 + i));
          end loop;
          return iv || ciphertext || {schema}.gcm_tag(substring(stream from 1 for 16), substring(stream from 17 for 16), ciphertext);
        end
        $function$""")
    cursor.execute(f"""
        create or replace function {schema}.gcm_open(aes_key bytea, blob bytea) returns bytea {helper}
        as $function$
        declare
          n integer := length(blob) - 28;
          iv bytea;
          ciphertext bytea;
          stream bytea;
          plaintext bytea;
        begin
          if n < 0 then
            raise exception 'pii_guard.decrypt_pii: a value is too short to be a pii_guard ciphertext.';
          end if;
          iv := substring(blob from 1 for 12);
          ciphertext := substring(blob from 13 for n);
          stream := {schema}.gcm_keystream(aes_key, iv, (n + 15) / 16);
          -- The tags are compared as digests: bytea <> stops at the first
          -- differing byte, and its timing would tell a forger how much of a tag is right.
          if {pgcrypto}.digest({schema}.gcm_tag(substring(stream from 1 for 16), substring(stream from 17 for 16), ciphertext), 'sha256')
             <> {pgcrypto}.digest(substring(blob from 13 + n for 16), 'sha256') then
            raise exception 'pii_guard.decrypt_pii: a value failed authentication: it was encrypted under another key, or altered.';
          end if;
          plaintext := ciphertext;
          for i in 0..n - 1 loop
            plaintext := set_byte(plaintext, i, get_byte(ciphertext, i) # get_byte(stream, 32 + i));
          end loop;
          return plaintext;
        end
        $function$""")
    cursor.execute(f"""
        create or replace function {schema}.encrypt_pii(message text) returns text
        language plpgsql volatile strict security definer
        set search_path = pg_catalog, pg_temp
        as $function$
        declare
          aes_key bytea;
        begin
          select k.key into aes_key from {schema}.encryption_key as k;
          if aes_key is null then
            raise exception '{NO_ENCRYPTION_KEY_MESSAGE}';
          end if;
          return translate(encode({schema}.gcm_seal(aes_key, {pgcrypto}.gen_random_bytes(12),
                                                    convert_to(message, 'UTF8')), 'base64'), E'\n', '');
        end
        $function$""")
    # session_user: inside a SECURITY DEFINER function current_user is the
    # keyholder; the login role is who reads. Not cleared: NULL, key unread.
    cursor.execute(f"""
        create or replace function {schema}.decrypt_pii(ciphertext text) returns text
        language plpgsql stable strict security definer
        set search_path = pg_catalog, pg_temp
        as $function$
        declare
          aes_key bytea;
          blob bytea;
        begin
          if not pg_has_role(session_user, '{cleared_role}', 'member') then
            return null;
          end if;
          select k.key into aes_key from {schema}.encryption_key as k;
          if aes_key is null then
            raise exception '{NO_ENCRYPTION_KEY_MESSAGE}';
          end if;
          begin
            blob := decode(ciphertext, 'base64');
          exception when others then
            raise exception 'pii_guard.decrypt_pii: a value is not base64 text; it is not a pii_guard ciphertext.';
          end;
          return convert_from({schema}.gcm_open(aes_key, blob), 'UTF8');
        end
        $function$""")


def _pseudonymize_function_sql(pgcrypto: str, schema: str) -> str:
    """pseudonymize_int's permutation (docs/macros.md): an 8-round Feistel network on
    k-bit states, cycle-walked into [min, max] at most 128 times, each round's
    PRF the first 32 bits of HMAC(key, 'pii_guard.pseudonymize_int.v1:min:max:i:R').
    The key is read once per call; a value outside the range raises without
    naming it (it is the identifier being protected)."""
    return f"""
        create or replace function {schema}.pseudonymize_int(value bigint, min_value bigint, max_value bigint)
        returns bigint
        language plpgsql stable strict security definer parallel safe
        set search_path = pg_catalog, pg_temp
        as $function$
        declare
          hmac_key bytea;
          span bigint;
          k integer := 2;
          a integer;
          b integer;
          high_bits integer;
          low_bits integer;
          x bigint;
          r bigint;
          prefix text;
        begin
          if min_value > max_value then
            raise exception 'pii_guard.pseudonymize_int: min_value (%) must be at most max_value (%).', min_value, max_value;
          end if;
          if value < min_value or value > max_value then
            raise exception 'pii_guard.pseudonymize_int: a value is outside the declared range [%, %]. Widen min_value/max_value to cover every value of the column, or filter such rows out first.', min_value, max_value;
          end if;
          select k.key into hmac_key from {schema}.hmac_key as k;
          if hmac_key is null then
            raise exception '{NO_KEY_MESSAGE}';
          end if;
          if min_value = max_value then
            return value;
          end if;
          span := max_value - min_value;  -- more than 2^63 - 1 raises: bigint out of range
          while (span >> k) > 0 loop
            k := k + 1;
          end loop;
          a := (k + 1) / 2;
          b := k - a;
          prefix := 'pii_guard.pseudonymize_int.v1:' || min_value::text || ':' || max_value::text || ':';
          x := value - min_value;
          for step in 1..128 loop
            for i in 0..7 loop
              if i % 2 = 0 then high_bits := a; low_bits := b; else high_bits := b; low_bits := a; end if;
              r := x & ((1::bigint << low_bits) - 1);
              x := (r << high_bits) | ((x >> low_bits) # (('x' || left(encode({pgcrypto}.hmac(
                     convert_to(prefix || i::text || ':' || r::text, 'UTF8'), hmac_key, 'sha256'), 'hex'), 8))::bit(32)::bigint
                     & ((1::bigint << high_bits) - 1)));
            end loop;
            if x <= span then
              return min_value + x;
            end if;
          end loop;
          raise exception 'pii_guard.pseudonymize_int: the cycle walk over [%, %] did not return into the range within 128 Feistel applications (odds below 2^-128). Report this.', min_value, max_value;
        end
        $function$"""


def _copy_row(key: bytes) -> io.StringIO:
    """One COPY text-format row: id 1 and the key as a bytea hex literal."""
    return io.StringIO(f"1\t\\\\x{key.hex()}\n")
