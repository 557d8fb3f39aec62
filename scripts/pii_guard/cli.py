"""The ``pii-guard`` command: ``keygen`` for a new key, ``hash`` for the
pseudonym a value gets (to find a data subject's rows), ``check`` and
``explain`` for PII lineage, ``classify`` for proposals for unclassified columns,
``erase`` for the right to be forgotten.

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
from pii_guard.plural import counted

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


def _keyid(_: argparse.Namespace) -> int:
    from pii_guard.key_identity import key_fingerprint

    print(key_fingerprint(read_key(os.environ)))
    return 0


def _hash(args: argparse.Namespace) -> int:
    key = read_key(os.environ)
    for position, value in enumerate(args.values, 1):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes arrive as surrogate escapes
            from pii_guard.lineage.errors import InputError

            raise InputError(f"VALUE {position} is not valid UTF-8 text: pass the value in UTF-8, "
                             "as the warehouse holds it.") from None
    for value in args.values:
        print(pseudonym(value, key, args.normalize) or "NULL")
    return 0


def _postgres_keyring(args: argparse.Namespace) -> int:
    from pii_guard.lineage.errors import require_extra
    from pii_guard.postgres_keyring import KeyringProblem, install_keyring, keyring_functions

    from pii_guard.encryption import ENCRYPTION_KEY_ENV_VAR, read_encryption_key

    key = read_key(os.environ)
    # The encryption key is optional: without it the keyring keeps the one it holds.
    encryption_key = read_encryption_key(os.environ) if os.environ.get(ENCRYPTION_KEY_ENV_VAR) is not None else None
    psycopg2 = require_extra("psycopg2", "postgres-keyring", "postgres")
    try:
        connection = psycopg2.connect(args.dsn)
    except psycopg2.Error as error:
        raise KeyringProblem(f"pii_guard: cannot connect to PostgreSQL ({str(error).strip()}); set --dsn "
                             "or the PGHOST/PGPORT/PGUSER/PGDATABASE environment variables.") from None
    try:
        install_keyring(connection, key, args.grant, args.schema, encryption_key, args.cleared_role)
    except psycopg2.Error as error:
        raise KeyringProblem(f"pii_guard: installing the keyring failed: {str(error).strip()}. Connect as a "
                             "role that may create roles and schemas (the database owner or an admin).") from None
    finally:
        connection.close()
    print(f"installed the key; {' and '.join(keyring_functions(args.schema))} may be executed by: {', '.join(args.grant)}")
    if encryption_key is not None:
        print(f"installed the encryption key; {args.schema}.decrypt_pii decrypts for members of {args.cleared_role} only")
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
    if args.no_catalog:
        catalog: Path | None = None
    elif args.catalog:
        catalog = Path(args.catalog)
    else:
        default = manifest.parent / "catalog.json"
        catalog = default if default.exists() else None
    return manifest, catalog, project_dir


def _output_path(output: str) -> Path:
    """Where --output writes, refused before any work when it cannot be written."""
    from pii_guard.lineage.errors import InputError

    path = Path(output)
    folder = path.parent
    if path.is_dir():
        raise InputError(f"--output {output} is a directory: name a file in it, e.g. {path / 'pii_guard_report'}.")
    if not folder.is_dir():
        raise InputError(f"cannot write the report to {output}: the directory {folder} does not exist. "
                         "Create it first, or pass another --output.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the report to {output}: the directory {folder} is not writable. "
                         "Pass another --output.")
    return path


def _write_report(rendered: str, output: Path | None) -> None:
    """The whole report to standard output, or to `output` through a temporary
    file beside it renamed over it: never half a report. A write that fails is
    InputError (one line, exit 2)."""
    import tempfile

    from pii_guard.lineage.errors import InputError

    where = "standard output" if output is None else str(output)
    temporary: Path | None = None
    try:
        if output is None:
            if sys.stdout is None:
                raise InputError("cannot write the report: standard output is closed. Pass --output.")
            sys.stdout.write(rendered)  # encodes all of it before writing any
            sys.stdout.flush()
            return
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=output.parent, prefix=f".{output.name}.",
                                         suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
            handle.write(rendered)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as a file written in place would be, not 0600
        os.replace(temporary, output)
        temporary = None
    except BrokenPipeError:  # the reader left (`| head`): nothing more to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as error:
        raise InputError(f"cannot write the report to {where}: {error.strerror or error}. "
                         f"{'Pass another --output.' if output else ''}".strip()) from None
    except UnicodeEncodeError as error:
        if error.encoding.replace("-", "").lower() != "utf8":
            raise InputError(f"cannot write the report to {where} in {error.encoding}: set "
                             "PYTHONIOENCODING=utf-8, or pass --output.") from None
        # Only half a UTF-16 surrogate pair, from a \udXXX escape in the JSON, is not UTF-8.
        raise InputError(f"cannot write the report: a name in the manifest or catalog holds "
                         f"{error.object[error.start:error.end]!r}, which is not text. Fix that name "
                         "in the project, then run `dbt compile`.") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _check(args: argparse.Namespace) -> int:
    from pii_guard.lineage import check
    from pii_guard.lineage.report import FORMATTERS

    output = _output_path(args.output) if args.output else None
    manifest, catalog, project_dir = _lineage_inputs(args)
    progress = _progress if args.format == "text" and sys.stderr.isatty() else None
    report = check(manifest, catalog, project_dir, progress=progress, select=args.select, exclude=args.exclude,
                   upstream=[Path(path) for path in args.upstream_manifest], upstream_catalogs=not args.no_catalog)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    rendered = FORMATTERS[args.format](report)
    _write_report(rendered, output)
    if output is not None:
        print(f"pii-guard check: wrote {args.output}: {counted(report.stats['violations'], 'violation')}, "
              f"{report.stats['unresolved']} unresolved", file=sys.stderr)
    return report.exit_code


def _explain(args: argparse.Namespace) -> int:
    from pii_guard.lineage.explain import explain
    from pii_guard.lineage.mesh import load_mesh

    manifest, catalog, project_dir = _lineage_inputs(args)
    project = load_mesh(manifest, catalog, project_dir, [Path(path) for path in args.upstream_manifest],
                        not args.no_catalog)
    _write_report(explain(project, args.target), None)
    return 0


def _classify(args: argparse.Namespace) -> int:
    from pii_guard.classify import classify
    from pii_guard.classify.pipeline import Sampling
    from pii_guard.classify.report import FORMATTERS
    from pii_guard.lineage.errors import InputError

    output = _output_path(args.output) if args.output else None
    how = args.sample or ("duckdb" if args.duckdb else "none")
    if how == "duckdb" and not args.duckdb:
        raise InputError("--sample duckdb needs --duckdb FILE, the DuckDB database dbt built.")
    if args.duckdb and how != "duckdb":
        raise InputError(f"--duckdb is read only with --sample duckdb, not --sample {how}: drop one of them.")
    if args.rows < 1:
        raise InputError(f"--rows must be at least 1, got {args.rows}.")
    manifest, catalog, project_dir = _lineage_inputs(args)
    sampling = Sampling(how=how, rows=args.rows, duckdb=Path(args.duckdb) if args.duckdb else None,
                        profiles_dir=Path(args.profiles_dir) if args.profiles_dir else None, target=args.target)
    result = classify(manifest, catalog, project_dir, sampling)
    _write_report(FORMATTERS[args.format](result), output)
    if output is not None:
        pii = sum(p.pii for p in result.proposals)
        print(f"pii-guard classify: wrote {args.output}: {counted(len(result.proposals), 'unclassified column')}, "
              f"{pii} proposed PII", file=sys.stderr)
    return 0


def _erase(args: argparse.Namespace) -> int:
    import json
    import shutil
    import subprocess

    from pii_guard.lineage.erasure import erasure_plan
    from pii_guard.lineage.errors import InputError
    from pii_guard.lineage.pipeline import trace_project
    from pii_guard.lineage.project import load_project

    manifest, catalog, project_dir = _lineage_inputs(args)
    project = load_project(manifest, catalog, project_dir)
    plan = erasure_plan(project, trace_project(project))
    if not plan.origins:
        raise InputError("no source or seed declares its data subject, so there is nothing to erase from: "
                         "add meta pii_guard: {subject: <column>} to each raw relation holding PII "
                         "(docs/lifecycle.md, 'Erasure').")
    # Found before anything is said: without dbt the only output is the error.
    dbt = None if args.plan else (shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt"))
    if dbt is None and not args.plan:
        raise InputError("erase needs dbt where pii-guard runs, which pii-guard installs only with an extra: "
                         "pip install 'pii-guard[duckdb]' (or [postgres], [spark]: the extra of the project's "
                         "adapter); or print the plan with --plan and pass it to "
                         "`dbt run-operation pii_guard.erase_subjects --args`.")
    print(f"pii-guard erase: {counted(len(plan.relations), 'stored relation holds', 'stored relations hold')} PII of "
          f"{', '.join(o.node for o in plan.origins)}", file=sys.stderr)
    for uid, reason in sorted(plan.not_erasable.items()):
        print(f"pii-guard erase: NOT ERASABLE {uid}: {reason}", file=sys.stderr)
    if args.plan:
        print(json.dumps(plan.as_args()["plan"], indent=2))
        return 1 if plan.not_erasable else 0
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    operation_args = plan.as_args()
    operation_args["dry_run"] = args.dry_run
    command = [dbt, "--no-use-colors", "run-operation", "pii_guard.erase_subjects",
               "--args", json.dumps(operation_args), "--project-dir", str(project_dir), *dbt_args]
    completed = subprocess.run(command, cwd=project_dir, capture_output=True, text=True)
    for line in completed.stdout.splitlines():
        if "pii_guard erase" in line:  # the operation's report: relations, counts, columns; never values
            print(line[line.index("pii_guard erase"):])
    if completed.returncode != 0:
        print(completed.stdout[-4000:] + completed.stderr[-2000:], file=sys.stderr)
        print(f"pii-guard erase: dbt run-operation failed ({completed.returncode}); see above", file=sys.stderr)
        return 2
    return 1 if plan.not_erasable else 0


def _pii_map(args: argparse.Namespace):
    """The lineage inputs, the loaded project and its PII map."""
    from pii_guard.lineage.errors import InputError
    from pii_guard.lineage.pii_map import pii_map
    from pii_guard.lineage.pipeline import trace_project
    from pii_guard.lineage.project import load_project
    from pii_guard.lineage.validate import nothing_to_check

    manifest, catalog, project_dir = _lineage_inputs(args)
    project = load_project(manifest, catalog, project_dir)
    problem = nothing_to_check(project)
    if problem:
        raise InputError(problem)
    return manifest, project_dir, project, pii_map(project, trace_project(project))


def _map(args: argparse.Namespace) -> int:
    from pii_guard.lineage.pii_map_page import as_html

    output = _output_path(args.output)
    _, project_dir, _, drawn = _pii_map(args)
    _write_report(as_html(drawn, project_dir.resolve().name), output)
    s = drawn.stats
    print(f"pii-guard map: wrote {args.output}: {counted(s['pii_columns'], 'declared PII column')}, "
          f"{counted(s['leak_flows'], 'leak')}, {counted(s['protected_flows'], 'protected flow')}, "
          f"{counted(s['unresolved_models'], 'unresolved model')}", file=sys.stderr)
    return 0


def _annotate(args: argparse.Namespace) -> int:
    import json

    from pii_guard.classify.pipeline import read_inputs
    from pii_guard.lineage.annotate import annotated_manifest, annotation_patch, classification

    output = _output_path(args.output) if args.output else None
    written_manifest = _output_path(args.write_manifest) if args.write_manifest else None
    manifest_path, project_dir, project, drawn = _pii_map(args)
    manifest, _ = read_inputs(manifest_path, None)
    declared = {uid: list(node.declared_columns) for uid, node in project.nodes.items()}
    derived = classification(drawn, declared)
    patch = annotation_patch(manifest, project_dir, derived)
    for note in patch.notes:
        print(f"note: {note}", file=sys.stderr)
    if written_manifest is not None:
        _write_report(json.dumps(annotated_manifest(manifest, derived)), written_manifest)
        print(f"pii-guard annotate: wrote {args.write_manifest}", file=sys.stderr)
    if output is not None or written_manifest is None:
        _write_report(patch.diff, output)
    columns = sum(len(c) for c in derived.values())
    print(f"pii-guard annotate: {counted(columns, 'column')} of {counted(len(derived), 'model')} classified",
          file=sys.stderr)
    return 0


def _add_lineage_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project-dir", default=".", help="the dbt project (default: .)")
    parser.add_argument("--manifest", help="manifest.json from `dbt compile` (default: <project-dir>/target/manifest.json)")
    parser.add_argument("--catalog", help="catalog.json from `dbt docs generate` (default: beside the manifest, if there)")
    parser.add_argument("--no-catalog", action="store_true",
                        help="ignore any catalog.json: columns from yml declarations, seed files and compiled SQL only")


def _add_upstream_manifest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--upstream-manifest", action="append", default=[], metavar="PATH",
                        help="manifest.json of a dbt project whose models this one refs across projects "
                             "(dbt mesh, dbt-loom); once per upstream project: its models are traced too")


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

    keyid = commands.add_parser(
        "keyid", help=f"print the fingerprint of {KEY_ENV_VAR}: safe to share, it tells only "
        "whether two keys are the same (docs/engines-and-keys.md, Key rotation)"
    )
    keyid.set_defaults(run=_keyid)

    hash_ = commands.add_parser(
        "hash",
        help="print the pseudonym hash_pii gives a value (key from the environment), "
        "e.g. to find a data subject's rows",
    )
    hash_.add_argument("values", nargs="+", metavar="VALUE")
    hash_.add_argument("--normalize", choices=NORMALIZERS, default=None)
    hash_.set_defaults(run=_hash)

    keyring = commands.add_parser(
        "postgres-keyring",
        help=f"store {KEY_ENV_VAR} in a PostgreSQL database's keyring, readable only through "
             "pii_guard's hashing function; run once per database and after each key rotation",
    )
    keyring.add_argument("--grant", nargs="+", required=True, metavar="ROLE",
                         help="the role(s) dbt connects as: they may hash, never read the key")
    keyring.add_argument("--schema", default="pii_guard_keyring",
                         help="the keyring's schema (default: pii_guard_keyring); a second key, e.g. for "
                              "developers, goes in pii_guard_keyring_<name>, chosen in dbt by the var "
                              "pii_guard_keyring_schema")
    keyring.add_argument("--cleared-role", default="pii_guard_cleared", metavar="ROLE",
                         help="the role whose members decrypt_pii decrypts for (default: pii_guard_cleared, "
                              "created NOLOGIN when missing); everyone else gets NULL")
    keyring.add_argument("--dsn", default="", help="libpq connection string (default: the PG* environment variables)")
    keyring.set_defaults(run=_postgres_keyring)

    check = commands.add_parser(
        "check", help="trace every column of every model and report PII that reaches a safe model"
    )
    _add_lineage_inputs(check)
    _add_upstream_manifest(check)
    check.add_argument("--select", "-s", nargs="+", default=[], metavar="SELECTOR",
                       help="report only these models: name, tag:T, path:P, fqn:F, package:P, "
                            "config.materialized:M, with + for ancestors/descendants (dbt's words)")
    check.add_argument("--exclude", nargs="+", default=[], metavar="SELECTOR", help="leave these models out of the report")
    check.add_argument("--format", choices=["text", "json", "sarif", "html"], default="text")
    check.add_argument("--output", help="write the report here instead of standard output")
    check.set_defaults(run=_check)

    classify = commands.add_parser(
        "classify", help="propose pii/pii_type/treatment for every column no yml classifies, from its name "
                         "and sampled values; prints a table, JSON, or a yml patch to review and apply")
    _add_lineage_inputs(classify)
    classify.add_argument("--sample", choices=["none", "duckdb", "profile"], default=None,
                          help="read values too: from a DuckDB file (--duckdb), or through the project's dbt "
                               "profile, any adapter (default: duckdb with --duckdb, else none)")
    classify.add_argument("--duckdb", metavar="FILE", help="the DuckDB database dbt built, opened read-only")
    classify.add_argument("--profiles-dir", help="where profiles.yml is, for --sample profile (default: dbt's)")
    classify.add_argument("--target", help="the profile's target, for --sample profile (default: the profile's)")
    classify.add_argument("--rows", type=int, default=200, metavar="N",
                          help="rows sampled per relation (default: 200)")
    classify.add_argument("--format", choices=["text", "json", "yaml-patch"], default="text")
    classify.add_argument("--output", help="write the report or patch here instead of standard output")
    classify.set_defaults(run=_classify)

    erase = commands.add_parser(
        "erase", help="erase the PII of every subject on the forget list (var pii_guard_forget_list) from "
                      "every table, incremental model and snapshot that holds it, found from the column "
                      "lineage; run after `dbt build`, then `dbt test` runs the proof")
    _add_lineage_inputs(erase)
    erase.add_argument("--dry-run", action="store_true",
                       help="count the rows each relation would have erased, change nothing")
    erase.add_argument("--plan", action="store_true",
                       help="print the plan (relations, keys, columns) as JSON and stop; runs no dbt")
    erase.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="-- DBT_ARGS",
                       help="passed to dbt run-operation, e.g. -- --target prod --profiles-dir ~/.dbt")
    erase.set_defaults(run=_erase)

    explain = commands.add_parser("explain", help="print the upstream lineage of one column, MODEL.COLUMN")
    explain.add_argument("target", metavar="MODEL.COLUMN")
    _add_lineage_inputs(explain)
    _add_upstream_manifest(explain)
    explain.set_defaults(run=_explain)

    map_ = commands.add_parser(
        "map", help="write the PII map: one self-contained HTML page showing every declared PII column, the "
                    "model columns it reaches, where and by what it is protected, leaks and unresolved models")
    _add_lineage_inputs(map_)
    map_.add_argument("--output", default="pii_map.html", help="the page to write (default: pii_map.html)")
    map_.set_defaults(run=_map)

    annotate = commands.add_parser(
        "annotate", help="print each model column's derived classification (carries PII from X, protected "
                         "by Y, clean, unresolved) as a yml patch adding meta pii_guard_derived, and/or write "
                         "it into a copy of the manifest for dbt docs")
    _add_lineage_inputs(annotate)
    annotate.add_argument("--output", help="write the patch here instead of standard output")
    annotate.add_argument("--write-manifest", metavar="PATH",
                          help="write a copy of the manifest with pii_guard_derived in each column's meta "
                               "(then no patch is printed unless --output is given)")
    annotate.set_defaults(run=_annotate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pii_guard.lineage.errors import InputError
    from pii_guard.postgres_keyring import KeyringProblem

    try:
        return args.run(args)
    except (KeyProblem, InputError, KeyringProblem) as problem:
        message = " ".join(str(problem).splitlines())  # one line, always
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
