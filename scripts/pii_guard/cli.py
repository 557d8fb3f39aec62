"""The ``pii-guard`` command: ``keygen`` for a new key, ``hash`` for the
pseudonym a value gets (to find a data subject's rows).

>>> build_parser().parse_args(["hash", "--normalize", "email", "a@b.co"]).values
['a@b.co']
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import re
import sys
from collections.abc import Sequence

from pii_guard import __version__
from pii_guard.keys import KEY_ENV_VAR, KeyProblem, generate_key, read_key

NORMALIZERS = ("email", "phone", "text")


def normalize(value: str, how: str | None) -> str | None:
    """Normalize ``value`` as ``hash_pii(column, normalize=how)`` does in SQL.

    >>> normalize("  Ann.Lee@Example.COM ", "email")
    'ann.lee@example.com'
    >>> normalize("+1 (617) 555-0123", "phone")
    '16175550123'
    >>> normalize("   ", "text") is None
    True
    """
    if how is None:
        return value
    if how == "phone":
        normalized = re.sub(r"[^0-9]", "", value)
    else:
        normalized = value.strip(" ").lower()
    return normalized or None


def pseudonym(value: str, key: bytes, how: str | None = None) -> str | None:
    """HMAC-SHA256 of the normalized value, as 64 lowercase hex characters."""
    normalized = normalize(value, how)
    if normalized is None:
        return None
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


def _keygen(_: argparse.Namespace) -> int:
    print(generate_key())
    return 0


def _hash(args: argparse.Namespace) -> int:
    key = read_key(os.environ)
    for value in args.values:
        print(pseudonym(value, key, args.normalize) or "NULL")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pii-guard", description="Privacy tooling for dbt projects (pii_guard)."
    )
    parser.add_argument("--version", action="version", version=f"pii-guard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser(
        "keygen", help=f"print a new random key for {KEY_ENV_VAR}"
    )
    keygen.set_defaults(run=_keygen)

    hash_ = commands.add_parser(
        "hash",
        help="print the pseudonym hash_pii gives a value (key from the environment), "
        "e.g. to find a data subject's rows",
    )
    hash_.add_argument("values", nargs="+", metavar="VALUE")
    hash_.add_argument("--normalize", choices=NORMALIZERS, default=None)
    hash_.set_defaults(run=_hash)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
