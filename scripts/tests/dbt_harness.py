"""Runs dbt projects (the integration project and the fixtures) in throwaway directories.

Every dbt invocation gets its own environment (key, DuckDB file, target and
log paths), so tests never touch the checkout's target/ or each other's keys.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from dbt_server import start_server
from spark_class_archive import spark_java_options

REPO = Path(__file__).resolve().parents[2]
INTEGRATION = REPO / "integration_tests"
DBT = str(Path(sys.executable).parent / "dbt")
KEY_ENV_VAR = "DBT_ENV_SECRET_PII_GUARD_KEY"
COMMAND_TIMEOUT = 900  # seconds a dbt command may take


@dataclass
class DbtProject:
    """A dbt project (the integration project unless told otherwise), pointed at
    one scratch directory and one key."""

    workdir: Path
    key: str | None = field(repr=False)  # never in a failing test's output
    extra_env: dict[str, str] = field(default_factory=dict)
    project_dir: Path = INTEGRATION
    target: str = "duckdb"

    @property
    def database(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def spark_dir(self) -> Path:
        """Spark's warehouse (Parquet files) and Derby metastore."""
        return self.workdir / "spark"

    @property
    def target_path(self) -> Path:
        return self.workdir / "target"

    @property
    def log_path(self) -> Path:
        return self.workdir / "logs"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != KEY_ENV_VAR}
        env.update(
            DO_NOT_TRACK="1",
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            DBT_VERSION_CHECK="false",
            PII_GUARD_DUCKDB_PATH=str(self.database),
            PII_GUARD_SPARK_DIR=str(self.spark_dir),
            DBT_TARGET_PATH=str(self.target_path),
            DBT_LOG_PATH=str(self.log_path),
        )
        if self.target == "spark":
            env["PII_GUARD_SPARK_JAVA_OPTIONS"] = spark_java_options(self.spark_dir)
        if self.key is not None:
            env[KEY_ENV_VAR] = self.key
        env.update(self.extra_env)
        return env

    def install_postgres_keyring(self) -> None:
        """What an admin does once per database (and per key): `pii-guard
        postgres-keyring --grant <dbt's role>`, here in-process. A key the
        command would refuse is not installed."""
        import psycopg2

        from pii_guard.keys import KeyProblem, read_key
        from pii_guard.postgres_keyring import install_keyring

        try:
            key = read_key({KEY_ENV_VAR: self.key})
        except KeyProblem:
            return
        env = self.env()
        connection = psycopg2.connect(host="127.0.0.1", port=int(env["PII_GUARD_PG_PORT"]), user="pii_guard",
                                      dbname=env.get("PII_GUARD_PG_DATABASE", "pii_guard"))
        try:
            install_keyring(connection, key, [env.get("PII_GUARD_PG_USER", "pii_guard")])
        finally:
            connection.close()

    def dbt(self, *args: str, debug: bool = False, as_process: bool = False) -> subprocess.CompletedProcess[str]:
        """Runs a dbt command in this project's dbt server (see DbtServer), or
        with `as_process` as a `dbt` process of its own, as users run it: the
        key-channel tests watch that process's command line and read all of
        its output, including what does not come from Python."""
        command = [DBT, "--no-use-colors"] + (["--debug"] if debug else []) + list(args)
        if "deps" not in args:
            command += ["--target", self.target]
            if self.target == "postgres" and self.key is not None:
                self.install_postgres_keyring()
        command += [
            "--profiles-dir", str(INTEGRATION),
            "--project-dir", str(self.project_dir),
        ]
        if "deps" in args and self.project_dir.is_relative_to(REPO):
            return self._deps_once_per_run(command, as_process)
        return self._run_dbt(command, as_process)

    def _run_dbt(self, command: list[str], as_process: bool) -> subprocess.CompletedProcess[str]:
        if not as_process:
            return dbt_server(self).run(command[1:])
        return subprocess.run(
            command, cwd=self.project_dir, env=self.env(), capture_output=True, text=True, timeout=COMMAND_TIMEOUT
        )

    def _deps_once_per_run(self, command: list[str], as_process: bool) -> subprocess.CompletedProcess[str]:
        """`dbt deps` in a project of the checkout, which every pytest-xdist
        worker shares: it runs once per test run, one worker at a time.
        `dbt deps` first deletes dbt_packages/, so a second run would pull the
        package from under the other worker's dbt command (it did: a `dbt
        seed` found no dbt_packages/pii_guard/dbt_project.yml). Local packages
        are symlinks into the checkout, so one install serves the whole run."""
        # The run and the command: another `dbt deps` (other flags) still runs.
        run_id = json.dumps([os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid-{os.getpid()}"), command])
        marker = self.project_dir / "dbt_packages" / ".installed-for-test-run"
        directory = os.open(self.project_dir, os.O_RDONLY)
        try:
            fcntl.flock(directory, fcntl.LOCK_EX)
            if marker.is_file() and marker.read_text() == run_id:
                return subprocess.CompletedProcess(command, 0, "dbt deps: installed earlier in this test run\n", "")
            result = self._run_dbt(command, as_process)
            if result.returncode == 0:
                marker.write_text(run_id)
            return result
        finally:
            os.close(directory)  # releases the lock

    def release(self) -> None:
        """Stops this project's dbt server, before another process runs dbt
        on its warehouse: Spark's Derby metastore admits one JVM at a time."""
        for key in [key for key in _SERVERS if key[0] == str(self.workdir)]:
            _SERVERS.pop(key).stop()

    def query(self, sql: str) -> list[tuple]:
        return self._run(sql)[1]

    def rows(self, relation: str) -> list[dict]:
        names, rows = self._run(f"select * from {relation}")
        return [dict(zip(names, row)) for row in rows]

    def _run(self, sql: str) -> tuple[list[str], list[tuple]]:
        if self.target == "spark":
            return read_spark_tables(self.spark_dir / "warehouse", sql)
        if self.target == "postgres":
            import psycopg2

            with psycopg2.connect(host="127.0.0.1", port=int(self.extra_env["PII_GUARD_PG_PORT"]), user="pii_guard",
                                  dbname=self.extra_env.get("PII_GUARD_PG_DATABASE", "pii_guard")) as connection:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    return [c.name for c in cursor.description], cursor.fetchall()
        with duckdb.connect(str(self.database), read_only=True) as connection:
            result = connection.execute(sql)
            return [column[0] for column in result.description], result.fetchall()


class DbtServer:
    """A dbt_server.py process: dbt commands for one project, target and
    environment, run one after another in one process, so dbt's imports
    (forked, already done) and Spark's driver JVM (about 10 s) come once,
    not once a command."""

    def __init__(self, project: DbtProject) -> None:
        project.workdir.mkdir(parents=True, exist_ok=True)
        self._log_path = project.workdir / "dbt_server.log"
        self._log_path.touch()
        self._log_read = self._log_path.stat().st_size  # where the next command's share of the log starts
        self._process, self._commands = start_server(self._log_path, project.env(), project.project_dir)

    def run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """The command's result as a `dbt` process would give it. What was
        written outside Python while it ran (the Spark JVM's log, native
        code) is in its stderr, as it was in a process's: the tests that
        search all output for the key search that too. What arrived after
        the previous command answered is in this one's: no byte goes unread."""
        self._commands.send(args)
        if not self._commands.poll(COMMAND_TIMEOUT):
            self._process.kill()
            pytest.fail(f"dbt {' '.join(args[:3])} ran over {COMMAND_TIMEOUT} s")
        try:
            answer = self._commands.recv()
        except EOFError:
            self._process.join()
            pytest.fail(f"the dbt server stopped (exit {self._process.exitcode}); see its log, dbt_server.log")
        with open(self._log_path, "rb") as log:
            log.seek(self._log_read)
            logged = log.read()
        self._log_read += len(logged)
        native = logged.decode("utf-8", "replace")
        return subprocess.CompletedProcess(["dbt", *args], answer["returncode"], answer["stdout"],
                                           answer["stderr"] + native)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._commands.send(None)
        self._process.join(timeout=60)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._commands.close()


# One server per (workdir, project, target, environment); only the newest is
# kept running (a Spark JVM holds about half a gigabyte, and a worker runs one
# test at a time).
_SERVERS: dict[tuple, DbtServer] = {}


def dbt_server(project: DbtProject) -> DbtServer:
    key = (str(project.workdir), str(project.project_dir), project.target, tuple(sorted(project.env().items())))
    if key not in _SERVERS:
        for stale in list(_SERVERS):
            _SERVERS.pop(stale).stop()
        _SERVERS[key] = DbtServer(project)
    return _SERVERS[key]


@atexit.register
def _stop_servers() -> None:
    for key in list(_SERVERS):
        _SERVERS.pop(key).stop()


# The session fixture (conftest.py) holding the integration project built on each engine.
BUILDS = {"duckdb": "built_project", "postgres": "built_project_pg", "spark": "built_project_spark"}


def read_spark_tables(warehouse: Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Runs `sql` over the tables Spark wrote: every <schema>.db/<table> folder
    of Parquet files becomes <schema>.<table> in an in-memory DuckDB. The
    values are Spark's; DuckDB only decodes them, and a second JVM never
    touches Spark's single-user Derby metastore. Only the tables `sql` names
    are read (a view reads its files' footers when it is made), all of them
    when it reads information_schema."""
    named = {(table.db, table.name) for table in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Table)}
    every_table = any(schema == "information_schema" for schema, _ in named)
    with duckdb.connect() as connection:
        for table in sorted(warehouse.glob("*.db/*/")):
            schema = table.parent.name.removesuffix(".db")
            if not every_table and (schema, table.name) not in named:
                continue
            if not any(table.glob("*.parquet")):
                continue  # an empty table (Spark writes no file for no rows)
            connection.execute(f'create schema if not exists "{schema}"')
            connection.execute(f'create view "{schema}"."{table.name}" as '
                               f"select * from read_parquet('{table}/*.parquet')")
        result = connection.execute(sql)
        return [column[0] for column in result.description], result.fetchall()


def require_ok(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")




def compile_for_spark(project: DbtProject, sql: str) -> str:
    """Inline SQL compiled for Spark by a dbt process of its own (loading the
    Spark and DuckDB adapters into one process leaves DuckDB objects alive at
    exit, where its bindings report leaks)."""
    result = project.dbt("--quiet", "compile", "--no-populate-cache", "--inline", sql, "--output", "json")
    require_ok(result, "dbt compile --inline (spark)")
    return json.loads(result.stdout)["compiled"]
