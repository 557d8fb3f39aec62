"""Which compiled SQL expressions are pii_guard's protecting macros.

A protecting macro is recognised by the shape the package's own macros compile
to, anchored on literals only they write (the session key variable, their
regular expressions, their masks). A look-alike such as md5(email) or
sha256(email || 'salt') is not protection: it is a weak hash (see WEAK_HASHES).

>>> import sqlglot
>>> protecting_macro(sqlglot.parse_one("case when false then ssn end", read="duckdb"))
'redact'
>>> protecting_macro(sqlglot.parse_one("md5(email)", read="duckdb")) is None
True
>>> protecting_macro(sqlglot.parse_one(
...     "case when octet_length(r'${spark.pii_guard.key}') < 32 then null else hmac(r'${spark.pii_guard.key}', x) end",
...     read="spark"))
'hash_pii'
"""

from __future__ import annotations

from sqlglot import exp

# Literals the macros emit (macros/ in this repository); keep them in step.
# Each engine may wrap a pattern (PostgreSQL and Spark anchor it: '^(?:...)$'),
# so a literal that contains the pattern counts. Spark's are raw literals (r'...').
# DuckDB variable, PostgreSQL setting, Spark configuration reference:
KEY_VARIABLES = ("pii_guard_ipad", "pii_guard.key", "${spark.pii_guard.key}")
ZIP_PATTERN = "[0-9]{5}(-?[0-9]{4})?"
EMAIL_PATTERN = "[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+"
EMAIL_MASK = "***@"
STATE_PATTERN = "(^|[\\s,])([A-Za-z]{2})[\\s,]+[0-9]{5}(-[0-9]{4})?\\s*$"
SHIFT_DOMAIN = "pii_guard.shift_date:"
GENERALIZE_UNITS = {"MONTH", "QUARTER", "YEAR"}

# Unkeyed hashes: reversible by enumerating the inputs (emails, ids).
WEAK_HASHES = (exp.MD5, exp.SHA, exp.SHA2, exp.MD5Digest)
WEAK_HASH_NAMES = {"md5", "sha1", "sha256", "sha512", "sha2", "hash", "xxhash64", "xxhash32",
                   "crc32", "farm_fingerprint", "murmur3_32", "md5_number", "digest"}


def _strings(node: exp.Expression) -> set[str]:
    return {literal.this for literal in node.find_all(exp.Literal, exp.RawString)
            if isinstance(literal, exp.RawString) or literal.is_string}


def _contains(literals: set[str], pattern: str) -> bool:
    return any(pattern in literal for literal in literals)


def _is_repeat_star(node: exp.Expression) -> bool:
    for call in node.find_all(exp.Repeat, exp.Anonymous):
        name = call.name.lower() if isinstance(call, exp.Anonymous) else "repeat"
        args = call.expressions if isinstance(call, exp.Anonymous) else [call.this]
        if name == "repeat" and args and isinstance(args[0], exp.Literal) and args[0].this == "*":
            return True
    return False


def protecting_macro(node: exp.Expression) -> str | None:
    """The pii_guard macro `node` is the compiled form of, or None."""
    if isinstance(node, exp.Case):
        ifs = node.args.get("ifs") or []
        if not ifs:
            return None
        condition = ifs[0].this
        if isinstance(condition, exp.Boolean) and not condition.this and len(ifs) == 1 and not node.args.get("default"):
            return "redact"
        in_condition = _strings(condition)
        if any(key in in_condition for key in KEY_VARIABLES):
            return "hash_pii"  # also surrogate_key: the same keyed HMAC
        if _contains(in_condition, ZIP_PATTERN):
            return "generalize_zip"
        if _contains(in_condition, STATE_PATTERN):
            return "state_from_address"
        if _contains(in_condition, EMAIL_PATTERN) and EMAIL_MASK in _strings(ifs[0].args["true"]):
            return "mask_email"
        if "[^0-9]" in in_condition and _is_repeat_star(ifs[0].args["true"]):
            return "mask_phone"
        return None
    if isinstance(node, (exp.Add, exp.DateAdd)) and SHIFT_DOMAIN in _strings(node):
        return "shift_date"
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE):
        inner = node.this
        if isinstance(inner, (exp.DateTrunc, exp.TimestampTrunc)):
            unit = inner.args.get("unit")
            if unit is not None and unit.name.upper() in GENERALIZE_UNITS:
                return "generalize_date"
    return None


def weak_hash(node: exp.Expression) -> str | None:
    """The name of an unkeyed hash function, or None."""
    if isinstance(node, WEAK_HASHES):
        return node.sql_name().lower()
    if isinstance(node, exp.Anonymous) and node.name.lower() in WEAK_HASH_NAMES:
        return node.name.lower()
    return None
