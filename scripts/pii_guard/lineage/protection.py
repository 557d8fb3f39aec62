"""Which compiled SQL expressions are pii_guard's protecting transforms.

Protection is recognized by the whole shape a macro compiles to, never by a
literal alone: the keyed HMAC core with the session key on each engine, the
email and phone masks, the ZIP3 and state extractions, the month/quarter/year
truncation, the keyed date shift, the keyed integer permutation. The tracer then treats every other
expression as passing what its parts pass, so a CASE is protection only when
every branch that can return a value returns a protected form: a branch that
returns the raw input (`case when <key check> then email else email end`, an
email mask whose ELSE is the email) still passes it. A look-alike such as
md5(email) or sha256(email || 'salt') is a weak hash (see WEAK_HASHES).

The keyed shapes are protection only on the engines the macros run on
(MACRO_DIALECTS): on another warehouse a function of the plugin's name, or
hmac() over the Spark key reference, is whatever that warehouse holds under
the name, with whatever key. The keyless shapes (redact, masks,
generalization) protect on any engine.

>>> import sqlglot
>>> protecting_macro(sqlglot.parse_one("case when false then ssn end", read="duckdb"), "duckdb")
'redact'
>>> protecting_macro(sqlglot.parse_one("md5(email)", read="duckdb"), "duckdb") is None
True
>>> spark_hmac = "hmac(encode(r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}', 'UTF-8'), encode(x, 'UTF-8'))"
>>> protecting_macro(sqlglot.parse_one(spark_hmac, read="spark"), "spark")
'hash_pii'
>>> protecting_macro(sqlglot.parse_one(spark_hmac, read="databricks"), "databricks") is None
True
>>> protecting_macro(sqlglot.parse_one("hmac(encode('my-key', 'UTF-8'), encode(x, 'UTF-8'))", read="spark"), "spark") is None
True
"""

from __future__ import annotations

import re

from sqlglot import exp

# Literals the macros emit (macros/ in this repository); keep them in step.
# The DuckDB plugin's function, the PostgreSQL keyring's (schema, function),
# the PostgreSQL setting, the Spark environment reference:
DUCKDB_HMAC_FUNCTION = "pii_guard_hmac_sha256_hex"
POSTGRES_KEYRING_FUNCTION = ("pii_guard_keyring", "hmac_sha256_hex")
# A keyring's schema: pii_guard_keyring, or a second one named after it
# (pii-guard postgres-keyring --schema pii_guard_keyring_dev).
KEYRING_SCHEMA_PATTERN = re.compile(r"pii_guard_keyring[a-z0-9_]*")
DUCKDB_PSEUDONYMIZE_FUNCTION = "pii_guard_pseudonymize_int"
POSTGRES_PSEUDONYMIZE_FUNCTION = ("pii_guard_keyring", "pseudonymize_int")
# encrypt_pii: the DuckDB plugin's function, the keyring's, and Spark's key
# reference (docs/macros.md, Encryption). decrypt_pii is never protection.
DUCKDB_ENCRYPT_FUNCTION = "pii_guard_encrypt"
POSTGRES_ENCRYPT_FUNCTION = ("pii_guard_keyring", "encrypt_pii")
SPARK_ENCRYPTION_KEY_REFERENCE = "${env:DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY}"
PSEUDONYMIZE_DOMAIN = "pii_guard.pseudonymize_int.v1:"
PSEUDONYMIZE_WALK_STEPS = 127  # sequence(0, 127): 128 Feistel applications at most
PSEUDONYMIZE_ROUNDS = 7  # sequence(0, 7): 8 rounds
POSTGRES_KEY_SETTING = "pii_guard.key"
# Spark substitutes this from the driver JVM's environment (never a conf).
SPARK_KEY_REFERENCE = "${env:DBT_ENV_SECRET_PII_GUARD_KEY}"
ZIP_PATTERN = "[0-9]{5}(-?[0-9]{4})?"
STATE_PATTERN = "(^|[\\s,])([A-Za-z]{2})[\\s,]+[0-9]{5}(-[0-9]{4})?\\s*$"
EMAIL_MASK = "***@"
SHIFT_DOMAIN = "pii_guard.shift_date:"
GENERALIZE_UNITS = {"MONTH", "QUARTER", "YEAR"}
# A mask keeps at most this many trailing digits of a phone, a ZIP this many leading.
MAX_PHONE_DIGITS_KEPT = 4
MAX_ZIP_DIGITS_KEPT = 3

# Unkeyed hashes: reversible by enumerating the inputs (emails, ids).
WEAK_HASHES = (exp.MD5, exp.SHA, exp.SHA2, exp.MD5Digest, exp.SHA1Digest, exp.SHA2Digest, exp.MD5NumberLower64,
               exp.MD5NumberUpper64, exp.FarmFingerprint, exp.CityHash64, exp.StandardHash, exp.HashAgg)
# Names for the hash nodes whose sqlglot name reads badly (SHA2Digest: BigQuery's sha256/sha512).
WEAK_HASH_LABELS = {exp.SHA1Digest: "sha1", exp.SHA2Digest: "sha2", exp.MD5NumberLower64: "md5_number_lower64",
                    exp.MD5NumberUpper64: "md5_number_upper64", exp.FarmFingerprint: "farm_fingerprint",
                    exp.CityHash64: "cityhash64", exp.StandardHash: "standard_hash", exp.HashAgg: "hash_agg"}
WEAK_HASH_NAMES = {"md5", "sha1", "sha256", "sha512", "sha2", "hash", "xxhash64", "xxhash32",
                   "crc32", "farm_fingerprint", "murmur3_32", "md5_number", "digest",
                   "func_sha1", "fnv_hash", "checksum"}


def function_name(node: exp.Expression) -> str:
    """A function call's name, lower-case (a node's type name for anything else)."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else type(node).__name__.lower()


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    return list(node.expressions) if isinstance(node, exp.Anonymous) else [
        value for value in node.args.values() if isinstance(value, exp.Expression)]


def _string(node: exp.Expression | None) -> str | None:
    if isinstance(node, exp.RawString) or (isinstance(node, exp.Literal) and node.is_string):
        return node.this
    return None


def _integer(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


def unwrap_casts(node: exp.Expression) -> exp.Expression:
    """The expression inside any casts and parentheses."""
    while isinstance(node, (exp.Cast, exp.TryCast, exp.Paren)):
        node = node.this
    return node


def _has_columns(node: exp.Expression) -> bool:
    return next(node.find_all(exp.Column), None) is not None


def _call(node: exp.Expression, name: str, literal: str) -> bool:
    """`name('literal', ...)`, e.g. current_setting('pii_guard.key')."""
    return isinstance(node, exp.Anonymous) and node.name.lower() == name and bool(node.expressions) \
        and _string(node.expressions[0]) == literal


def _is_spark_key(node: exp.Expression) -> bool:
    """Spark's key as the macro passes it: encode(r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}',
    'UTF-8') (or the reference alone), nothing around it. A literal key, another
    variable (${env:HOME}), a configuration (${spark.pii_guard.key}, which any
    session can set) or a reference inside a larger expression is not the key.

    >>> import sqlglot
    >>> spark = lambda key: _is_spark_key(sqlglot.parse_one(f"encode({key}, 'UTF-8')", read="spark"))
    >>> spark("r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}'")
    True
    >>> [spark(key) for key in ("'my-key-0123456789abcdef0123456789'", "r'${env:HOME}'", "r'${spark.pii_guard.key}'",
    ...                         "r'${DBT_ENV_SECRET_PII_GUARD_KEY}'", "r'${env:DBT_ENV_SECRET_PII_GUARD_KEY_2}'",
    ...                         "if(rand() < 2, 'k', r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}')",
    ...                         "concat('k', r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}')")]
    [False, False, False, False, False, False, False]
    """
    node = unwrap_casts(node)
    if isinstance(node, exp.Encode):
        node = unwrap_casts(node.this)
    return _string(node) == SPARK_KEY_REFERENCE


def _is_session_key(node: exp.Expression) -> bool:
    """An expression of the session key alone (no column): PostgreSQL's
    current_setting('pii_guard.key'), Spark's ${env:DBT_ENV_SECRET_PII_GUARD_KEY}."""
    if _has_columns(node):
        return False
    return any(_call(n, "current_setting", POSTGRES_KEY_SETTING) for n in node.find_all(exp.Anonymous)) or \
        _is_spark_key(node)


def _concat_parts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.DPipe):
        return _concat_parts(node.this) + _concat_parts(node.expression)
    if isinstance(node, exp.Concat):
        return [part for child in node.expressions for part in _concat_parts(child)]
    return [node]


def is_keyed_hmac(node: exp.Expression) -> bool:
    """HMAC-SHA256 under the session key, as each engine compiles it.

    DuckDB: the plugin's pii_guard_hmac_sha256_hex(message); PostgreSQL: the
    keyring's pii_guard_keyring.hmac_sha256_hex(message) (schema-qualified),
    or hmac(message, key setting, 'sha256'); Spark: hmac(key reference, message).

    >>> import sqlglot
    >>> is_keyed_hmac(sqlglot.parse_one("pii_guard_keyring.hmac_sha256_hex(email)", read="postgres"))
    True
    >>> is_keyed_hmac(sqlglot.parse_one("hmac_sha256_hex(email)", read="postgres"))
    False
    """
    if isinstance(node, exp.Anonymous) and node.name.lower() == DUCKDB_HMAC_FUNCTION:
        return len(node.expressions) == 1
    call = _is_keyring_call(node, POSTGRES_KEYRING_FUNCTION)
    if call is not None:
        return len(call.expressions) == 1
    if function_name(node) != "hmac":
        return False
    arguments = _arguments(node)
    keys = [a for a in arguments if _is_session_key(a)]
    algorithms = [_string(a) for a in arguments if _string(a) is not None]
    return len(keys) == 1 and len(arguments) in (2, 3) and all(a.lower() == "sha256" for a in algorithms)


def _contains_keyed_hmac(node: exp.Expression) -> bool:
    return any(is_keyed_hmac(n) for n in node.walk())


def _columns_only_inside_hmac(node: exp.Expression) -> bool:
    for column in node.find_all(exp.Column):
        ancestor = column.parent
        while ancestor is not None and ancestor is not node.parent and not is_keyed_hmac(ancestor):
            ancestor = ancestor.parent
        if ancestor is None or ancestor is node.parent:
            return False
    return True


def _is_shift_offset(node: exp.Expression) -> bool:
    """cast((<first 32 bits of the keyed HMAC of 'pii_guard.shift_date:' ||
    subject>) % (2m + 1) - m as integer), m >= 1: every column inside the HMAC."""
    node = unwrap_casts(node)
    if not isinstance(node, exp.Sub):
        return False
    modulo, middle = unwrap_casts(node.this), _integer(node.expression)
    if not isinstance(modulo, exp.Mod) or middle is None or middle < 1 or _integer(modulo.expression) != 2 * middle + 1:
        return False
    digest = modulo.this
    return _contains_keyed_hmac(digest) and _columns_only_inside_hmac(digest) and any(
        _string(n) == SHIFT_DOMAIN for n in digest.find_all(exp.Literal))


def _is_shift(node: exp.Expression) -> bool:
    if isinstance(node, exp.Add):
        return _is_shift_offset(node.expression) or _is_shift_offset(node.this)
    if isinstance(node, exp.DateAdd):
        return _is_shift_offset(node.expression)
    return False


def _signed_integer(node: exp.Expression | None) -> int | None:
    """An integer literal, possibly negative and cast (the macros' range bounds)."""
    node = unwrap_casts(node) if node is not None else None
    if isinstance(node, exp.Neg):
        value = _integer(unwrap_casts(node.this))
        return None if value is None else -value
    return _integer(node)


def _is_keyring_call(node: exp.Expression, schema_and_name: tuple[str, str]) -> exp.Anonymous | None:
    """The call inside `schema.name(...)`, when node is exactly that."""
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) \
            and KEYRING_SCHEMA_PATTERN.fullmatch(node.this.name.lower()):
        call = node.expression
        if isinstance(call, exp.Anonymous) and call.name.lower() == schema_and_name[1]:
            return call
    return None


def _is_pseudonymize_int(node: exp.Expression) -> bool:
    """pseudonymize_int as each engine compiles it.

    DuckDB: the plugin's pii_guard_pseudonymize_int(value, min, max);
    PostgreSQL: the keyring's pii_guard_keyring.pseudonymize_int(value, min,
    max) (schema-qualified); min and max integer literals. Spark: the cycle
    walk aggregate(sequence(0, 127), value - min, (y, j) -> CASE WHEN j > 0 AND
    ... THEN y ELSE <8 Feistel rounds> END, finish), whose rounds are
    aggregate(sequence(0, 7), y, (s, i) -> shiftleft(R, ...) | (shiftright(s,
    ...) ^ (<PRF> & mask))) and whose PRF is the keyed HMAC of the
    pseudonymize_int domain: columns only in the walk's start value.

    >>> import sqlglot
    >>> _is_pseudonymize_int(sqlglot.parse_one("pii_guard_pseudonymize_int(cast(id as bigint), -5, 5)", read="duckdb"))
    True
    >>> _is_pseudonymize_int(sqlglot.parse_one("pii_guard_pseudonymize_int(id, id, 5)", read="duckdb"))
    False
    """
    call = node if isinstance(node, exp.Anonymous) and node.name.lower() == DUCKDB_PSEUDONYMIZE_FUNCTION \
        else _is_keyring_call(node, POSTGRES_PSEUDONYMIZE_FUNCTION)
    if call is not None:
        bounds = [_signed_integer(a) for a in call.expressions[1:]]
        return len(call.expressions) == 3 and None not in bounds and bounds[0] <= bounds[1]
    return _is_spark_walk(node)


def _sequence_to(node: exp.Expression | None, last: int) -> bool:
    return isinstance(node, exp.GenerateSeries) and _integer(node.args.get("start")) == 0 \
        and _integer(node.args.get("end")) == last and node.args.get("step") is None


def _is_spark_walk(node: exp.Expression) -> bool:
    if not isinstance(node, exp.Reduce) or not _sequence_to(node.this, PSEUDONYMIZE_WALK_STEPS):
        return False
    merge, finish = node.args.get("merge"), node.args.get("finish")
    if not isinstance(merge, exp.Lambda) or not isinstance(finish, exp.Lambda) or len(merge.expressions) != 2:
        return False
    if _has_columns(merge) or _has_columns(finish):
        return False
    # CASE WHEN j > 0 AND <y in range> THEN y ELSE <rounds> END: the first step always permutes.
    step, walked = merge.expressions[1].name.lower(), merge.expressions[0].name.lower()
    body = merge.this
    if not isinstance(body, exp.Case) or len(body.args.get("ifs") or []) != 1:
        return False
    condition, kept = body.args["ifs"][0].this, body.args["ifs"][0].args.get("true")
    first = condition.this if isinstance(condition, exp.And) else None
    if not (isinstance(first, exp.GT) and isinstance(first.this, exp.Identifier) and first.this.name.lower() == step
            and _integer(first.expression) == 0):
        return False
    if not (isinstance(kept, exp.Identifier) and kept.name.lower() == walked):
        return False
    rounds = body.args.get("default")
    if not isinstance(rounds, exp.Reduce) or not _sequence_to(rounds.this, PSEUDONYMIZE_ROUNDS):
        return False
    start = rounds.args.get("initial")
    round_ = rounds.args.get("merge")
    if not (isinstance(start, exp.Identifier) and start.name.lower() == walked and isinstance(round_, exp.Lambda)):
        return False
    # shiftleft(R, ...) | (shiftright(s, ...) ^ (<PRF> & mask)): a Feistel round.
    combined = round_.this
    if not (isinstance(combined, exp.BitwiseOr) and isinstance(combined.this, exp.BitwiseLeftShift)):
        return False
    mixed = unwrap_casts(combined.expression)
    if not (isinstance(mixed, exp.BitwiseXor) and isinstance(unwrap_casts(mixed.this), exp.BitwiseRightShift)):
        return False
    prf = mixed.expression
    return _contains_keyed_hmac(prf) and any(
        (_string(n) or "").startswith(PSEUDONYMIZE_DOMAIN) for n in prf.find_all(exp.Literal))


def _is_email_mask(node: exp.Expression) -> bool:
    """<first character or ''> || '***@' || split_part(text, '@', 2)."""
    parts = _concat_parts(node)
    if len(parts) != 3 or _string(parts[1]) != EMAIL_MASK:
        return False
    domain = parts[2]
    if not isinstance(domain, exp.SplitPart) or _string(domain.args.get("delimiter")) != "@" \
            or _integer(domain.args.get("part_index")) != 2:
        return False
    text = domain.this
    prefix = parts[0]
    values = [prefix]
    if isinstance(prefix, exp.Case):
        values = [branch.args.get("true") for branch in prefix.args.get("ifs") or []] + [prefix.args.get("default")]
    for value in values:
        if value is None or _string(value) == "":
            continue
        if not (isinstance(value, exp.Left) and _integer(value.expression) == 1 and value.this == text):
            return False
    return True


def _is_phone_mask(node: exp.Expression) -> bool:
    """repeat('*', n) || right(digits, k <= 4) (or || '')."""
    parts = _concat_parts(node)
    if len(parts) != 2 or not isinstance(parts[0], exp.Repeat) or _string(parts[0].this) != "*":
        return False
    kept = parts[1]
    if _string(kept) == "":
        return True
    digits = _integer(kept.expression) if isinstance(kept, exp.Right) else None
    return digits is not None and digits <= MAX_PHONE_DIGITS_KEPT


def _regex_subject(condition: exp.Expression, pattern: str) -> exp.Expression | None:
    """The text a full-match regex condition tests against `pattern`."""
    condition = unwrap_casts(condition)
    regex = _string(condition.expression) if isinstance(condition, (exp.RegexpFullMatch, exp.RegexpLike)) else None
    if regex is None or pattern not in regex:
        return None
    # `~` and rlike match anywhere: only an anchored pattern checks the whole text.
    if isinstance(condition, exp.RegexpLike) and not (regex.startswith("^") and regex.endswith("$")):
        return None
    return condition.this


def _is_zip_prefix(node: exp.Expression) -> bool:
    """CASE WHEN <text full-matches a ZIP> THEN <left(text, n <= 3), or the
    restricted-ZIP3 CASE of '000' and left(text, 3)> END."""
    if not isinstance(node, exp.Case) or node.this is not None:
        return False
    ifs = node.args.get("ifs") or []
    if len(ifs) != 1 or node.args.get("default") is not None:
        return False
    text = _regex_subject(ifs[0].this, ZIP_PATTERN)
    if text is None:
        return False

    def generalized(value: exp.Expression | None) -> bool:
        if value is None or isinstance(value, exp.Null) or (_string(value) is not None and not _has_columns(value)):
            return True
        if isinstance(value, exp.Case):
            return all(generalized(b.args.get("true")) for b in value.args.get("ifs") or []) and \
                generalized(value.args.get("default"))
        digits = _integer(value.expression) if isinstance(value, exp.Left) else None
        return digits is not None and digits <= MAX_ZIP_DIGITS_KEPT and value.this == text

    return generalized(ifs[0].args.get("true"))


def _is_state_code(node: exp.Expression) -> bool:
    """Group 2 (two letters) of the address-ending pattern."""
    if isinstance(node, exp.RegexpExtract):
        return STATE_PATTERN in (_string(node.expression) or "") and _integer(node.args.get("group")) == 2
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        match = unwrap_casts(node.this)
        # Array subscripts are stored 0-based: PostgreSQL's [2] is 1 here.
        return isinstance(match, exp.Anonymous) and match.name.lower() == "regexp_match" \
            and len(match.expressions) == 2 and STATE_PATTERN in (_string(match.expressions[1]) or "") \
            and _integer(node.expressions[0]) == 1
    return False


def _is_date_generalization(node: exp.Expression) -> bool:
    if isinstance(node, (exp.DateTrunc, exp.TimestampTrunc)):
        unit = node.args.get("unit")
        return unit is not None and unit.name.upper() in GENERALIZE_UNITS
    return False


def _is_redact(node: exp.Expression) -> bool:
    ifs = node.args.get("ifs") or [] if isinstance(node, exp.Case) else []
    return bool(ifs) and not node.args.get("default") and all(
        isinstance(b.this, exp.Boolean) and not b.this.this for b in ifs)


def _is_encryption(node: exp.Expression) -> bool:
    """encrypt_pii as each engine compiles it: DuckDB's pii_guard_encrypt(x),
    PostgreSQL's pii_guard_keyring.encrypt_pii(x), Spark's
    base64(aes_encrypt(encode(x, 'UTF-8'), <key>, 'GCM', ...)) whose key reads
    only the encryption key's environment reference (no column).

    >>> import sqlglot
    >>> _is_encryption(sqlglot.parse_one("pii_guard_keyring.encrypt_pii(email)", read="postgres"))
    True
    >>> _is_encryption(sqlglot.parse_one("base64(aes_encrypt(encode(x, 'UTF-8'), unhex('00'), 'GCM'))", read="spark"))
    False
    """
    if isinstance(node, exp.Anonymous):
        return node.name.lower() == DUCKDB_ENCRYPT_FUNCTION and len(node.expressions) == 1
    call = _is_keyring_call(node, POSTGRES_ENCRYPT_FUNCTION)
    if call is not None:
        return len(call.expressions) == 1
    if isinstance(node, exp.ToBase64) and isinstance(node.this, exp.Anonymous) \
            and node.this.name.lower() == "aes_encrypt" and len(node.this.expressions) >= 3:
        key, mode = node.this.expressions[1], node.this.expressions[2]
        strings = {s.name for s in key.find_all(exp.Literal, exp.RawString)}
        return (isinstance(mode, exp.Literal) and mode.name.upper() == "GCM"
                and SPARK_ENCRYPTION_KEY_REFERENCE in strings and key.find(exp.Column) is None)
    return False


DECRYPT_FUNCTIONS = ("pii_guard_decrypt", "aes_decrypt", "try_aes_decrypt")


def is_decryption(node: exp.Expression) -> bool:
    """decrypt_pii as each engine compiles it (DuckDB's pii_guard_decrypt,
    the keyring's decrypt_pii, Spark's aes_decrypt), or any AES decryption:
    its output is the PII again, whatever protected its input.

    >>> import sqlglot
    >>> is_decryption(sqlglot.parse_one("pii_guard_keyring_dev.decrypt_pii(c)", read="postgres"))
    True
    """
    if isinstance(node, exp.Anonymous) and node.name.lower() in DECRYPT_FUNCTIONS:
        return True
    return _is_keyring_call(node, ("pii_guard_keyring", "decrypt_pii")) is not None


RECOGNIZERS = (
    ("redact", _is_redact),
    ("encrypt_pii", _is_encryption),
    ("hash_pii", is_keyed_hmac),  # also surrogate_key: the same keyed HMAC
    ("shift_date", _is_shift),
    ("pseudonymize_int", _is_pseudonymize_int),
    ("mask_email", _is_email_mask),
    ("mask_phone", _is_phone_mask),
    ("generalize_zip", _is_zip_prefix),
    ("state_from_address", _is_state_code),
    ("generalize_date", _is_date_generalization),
)
RECOGNIZED_TYPES = (exp.Case, exp.SHA2, exp.Anonymous, exp.Dot, exp.Add, exp.DateAdd, exp.DPipe, exp.Concat,
                    exp.RegexpExtract, exp.Bracket, exp.DateTrunc, exp.TimestampTrunc, exp.Reduce, exp.ToBase64)
# The sqlglot dialects of the engines pii_guard's macros run on (docs/macros.md,
# Supported engines), and the macros whose shape holds the project's key there.
MACRO_DIALECTS = frozenset({"duckdb", "postgres", "spark"})
KEYED_MACROS = frozenset({"encrypt_pii", "hash_pii", "shift_date", "pseudonymize_int"})


def protecting_macro(node: exp.Expression, dialect: str) -> str | None:
    """The pii_guard macro whose protecting shape `node` is, in SQL of `dialect`, or None."""
    if not isinstance(node, RECOGNIZED_TYPES):
        return None
    for macro, recognizes in RECOGNIZERS:
        if (dialect in MACRO_DIALECTS or macro not in KEYED_MACROS) and recognizes(node):
            return macro
    return None


def weak_hash(node: exp.Expression) -> str | None:
    """The name of an unkeyed hash function, or None."""
    if isinstance(node, WEAK_HASHES):
        return WEAK_HASH_LABELS.get(type(node)) or node.sql_name().lower()
    if isinstance(node, exp.Anonymous) and node.name.lower() in WEAK_HASH_NAMES:
        return node.name.lower()
    return None
