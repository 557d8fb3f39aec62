"""Stage 3: up to N rows of each relation, from a DuckDB file or through the
project's own dbt profile (any adapter).

The rows stay in memory, in this process: the report gets only the counts
values.py makes of them. A relation that cannot be read is a `Sample` with
a reason (names-only), never an error; a database that cannot be opened at
all is an InputError before any work.

>>> Sample(columns={"email": ["a@b.co"]}, rows=1).sampled, Sample(reason="no such table").sampled
(True, False)
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pii_guard.classify.columns import Relation
from pii_guard.lineage.errors import InputError, require_extra


@dataclass
class Sample:
    """A relation's sampled values by column (lower-cased name), or why there are none."""

    columns: dict[str, list[object]] = field(default_factory=dict)
    rows: int = 0
    reason: str | None = None

    @property
    def sampled(self) -> bool:
        return self.reason is None


def _by_column(names: list[str], rows: Iterable[tuple]) -> Sample:
    columns: dict[str, list[object]] = {name.lower(): [] for name in names}
    count = 0
    for row in rows:
        count += 1
        for name, value in zip(names, row):
            columns[name.lower()].append(value)
    return Sample(columns=columns, rows=count)


def _short(error: BaseException) -> str:
    """An error's first line, for "not sampled: ...": never the values (errors name tables, not data)."""
    lines = [line for line in str(error).splitlines() if line.strip()] or [type(error).__name__]
    text = " ".join(lines[0].split())
    return text[:200] + ("..." if len(text) > 200 else "")


def sample_duckdb(path: Path, relations: list[Relation], rows: int) -> dict[str, Sample]:
    """Up to `rows` rows of each relation (DuckDB's reservoir sample), from
    the database file opened read-only. The manifest's database name is the
    file's stem when dbt wrote it; a copy under another name is read by schema
    and table."""
    duckdb = require_extra("duckdb", "classify --sample duckdb", "duckdb")
    if not path.is_file():
        raise InputError(f"--duckdb {path}: no such file. Pass the DuckDB database dbt built "
                         "(the path in profiles.yml), or --sample none.")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except (duckdb.Error, OSError) as error:
        raise InputError(f"--duckdb {path} cannot be opened as a DuckDB database ({_short(error)}). "
                         "Pass the file dbt built, or --sample none.") from None
    samples: dict[str, Sample] = {}
    try:
        catalogs = {row[0].lower() for row in connection.execute("select database_name from duckdb_databases()").fetchall()}
        for relation in relations:
            database, schema, table = relation.relation
            parts = ([database] if database.lower() in catalogs else []) + [schema, table]
            name = ".".join('"' + part.replace('"', '""') + '"' for part in parts if part)
            try:
                result = connection.execute(f"select * from {name} using sample reservoir({int(rows)} rows)")
                names = [column[0] for column in result.description]
                samples[relation.unique_id] = _by_column(names, result.fetchall())
            except duckdb.Error as error:
                samples[relation.unique_id] = Sample(reason=_short(error))
    finally:
        connection.close()
    return samples


def _sample_sql(relation: Relation) -> str:
    """The inline SQL `dbt show` runs: the relation through source() or ref(),
    so dbt quotes it as its adapter does."""
    if relation.resource_type == "source":
        return f"select * from {{{{ source({relation.source_name!r}, {relation.name!r}) }}}}"
    return f"select * from {{{{ ref({relation.package!r}, {relation.name!r}) }}}}"


def sample_profile(project_dir: Path, profiles_dir: Path | None, target: str | None,
                   relations: list[Relation], rows: int) -> dict[str, Sample]:
    """Up to `rows` rows of each relation through the project's dbt profile:
    `dbt show --inline ... --limit N` in this process (dbtRunner), the project
    parsed once and its manifest reused for every relation. dbt logs nothing
    (its console and file logs would hold the rows)."""
    dbtRunner = require_extra("dbt.cli.main", "classify --sample profile", "duckdb",
                              " (or [postgres], [spark]: the extra of the project's adapter)").dbtRunner
    os.environ.setdefault("DO_NOT_TRACK", "1")
    scratch = Path(tempfile.mkdtemp(prefix="pii_guard_classify_"))
    common = ["--project-dir", str(project_dir), "--target-path", str(scratch / "target"),
              "--log-path", str(scratch / "logs")]
    if profiles_dir is not None:
        common += ["--profiles-dir", str(profiles_dir)]
    if target:
        common += ["--target", target]
    quiet = ["--log-level", "none", "--log-level-file", "none", "--no-use-colors"]
    console = io.StringIO()
    with contextlib.redirect_stdout(console):  # dbt prints some messages whatever the log level
        parsed = dbtRunner().invoke([*quiet, "parse", *common])
    if not parsed.success:
        raise InputError(f"dbt could not parse the project in {project_dir} with its profile "
                         f"({_short(parsed.exception or 'see `dbt parse`')}). Fix what `dbt parse` reports, "
                         "or pass --sample none.")
    runner = dbtRunner(manifest=parsed.result)
    samples: dict[str, Sample] = {}
    for relation in relations:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                shown = runner.invoke([*quiet, "show", "--inline", _sample_sql(relation), "--limit", str(int(rows)),
                                       *common])
        except Exception as error:  # an adapter's own error class: any failure means "not sampled"
            samples[relation.unique_id] = Sample(reason=_short(error))
            continue
        if not shown.success or not shown.result:
            reason = shown.exception or next((r.message for r in (shown.result or []) if r.message), None)
            samples[relation.unique_id] = Sample(reason=_short(reason or "dbt show failed"))
            continue
        table = shown.result.results[0].agate_table
        samples[relation.unique_id] = _by_column(list(table.column_names), (tuple(row) for row in table.rows))
    return samples
