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
from pathlib import Path

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


def _progress(done: int, total: int) -> None:
    """A progress bar on stderr, only on a terminal and only for long runs."""
    if total >= 200 and (done % 50 == 0 or done == total):
        filled = 30 * done // total
        end = "\n" if done == total else ""
        print(f"\rtracing [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} models", end=end,
              file=sys.stderr, flush=True)


def _lineage_inputs(args: argparse.Namespace) -> tuple[Path, Path | None, Path]:
    project_dir = Path(args.project_dir)
    manifest = Path(args.manifest) if args.manifest else project_dir / "target" / "manifest.json"
    if args.catalog:
        catalog: Path | None = Path(args.catalog)
    else:
        default = manifest.parent / "catalog.json"
        catalog = default if default.exists() else None
    return manifest, catalog, project_dir


def _check(args: argparse.Namespace) -> int:
    from pii_guard.lineage import check
    from pii_guard.lineage.report import FORMATTERS

    manifest, catalog, project_dir = _lineage_inputs(args)
    progress = _progress if args.format == "text" and sys.stderr.isatty() else None
    report = check(manifest, catalog, project_dir, progress=progress)
    rendered = FORMATTERS[args.format](report)
    if args.output:
        Path(args.output).write_text(rendered)
        print(f"pii-guard check: wrote {args.output}: {report.stats['violations']} violations, "
              f"{report.stats['unresolved']} unresolved", file=sys.stderr)
    else:
        sys.stdout.write(rendered)
    return report.exit_code


def _explain(args: argparse.Namespace) -> int:
    from pii_guard.lineage.explain import explain
    from pii_guard.lineage.project import load_project

    manifest, catalog, project_dir = _lineage_inputs(args)
    sys.stdout.write(explain(load_project(manifest, catalog, project_dir), args.target))
    return 0


def _add_lineage_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project-dir", default=".", help="the dbt project (default: .)")
    parser.add_argument("--manifest", help="manifest.json from `dbt compile` (default: <project-dir>/target/manifest.json)")
    parser.add_argument("--catalog", help="catalog.json from `dbt docs generate` (default: beside the manifest, if there)")


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

    check = commands.add_parser(
        "check", help="trace every column of every model and report PII that reaches a safe model"
    )
    _add_lineage_inputs(check)
    check.add_argument("--format", choices=["text", "json", "sarif", "html"], default="text")
    check.add_argument("--output", help="write the report here instead of standard output")
    check.set_defaults(run=_check)

    explain = commands.add_parser("explain", help="print the upstream lineage of one column, MODEL.COLUMN")
    explain.add_argument("target", metavar="MODEL.COLUMN")
    _add_lineage_inputs(explain)
    explain.set_defaults(run=_explain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pii_guard.lineage.errors import InputError

    try:
        return args.run(args)
    except (KeyProblem, InputError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
