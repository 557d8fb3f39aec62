"""Runs dbt commands in one long-lived process per project: dbt's imports
(one to two seconds) happen once per test run, not once per project, and a
Spark project's driver JVM (dbt-spark's session method, about 10 s) starts
once per project and key, not once per command. The JVM reads the key from
its environment at launch, which is why one server serves one environment.

Servers are forked from a multiprocessing fork server that has imported dbt
and its adapters and parsed a throwaway project with dbt's test caches on
(fork_server_warm_up.py), nothing else: no connection, no key, no project of
the tests (`start_server`). Each server then takes its project's
environment and directory, and answers commands sent over a pipe:

    send:    a list of dbt arguments (None: stop)
    receive: {"returncode", "stdout", "stderr"}

Exit status as dbt's command line gives it: 0 success, 1 a node failed,
2 dbt stopped with an error.
"""

from __future__ import annotations

import contextlib
import functools
import io
import multiprocessing
import os
import sys
import traceback
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path

# Imported by the fork server before it forks any server; the last parses a
# throwaway project, to fill dbt's caches once (fork_server_warm_up.py).
PRELOADED = ["dbt.cli.main", "dbt.adapters.duckdb", "dbt.adapters.postgres", "dbt.adapters.spark",
             "fork_server_warm_up"]


def run(runner, args: list[str]) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result = runner.invoke(args)
            code = 0 if result.success else (2 if result.exception is not None else 1)
            if result.exception is not None:
                print(str(result.exception), file=sys.stderr)
        except BaseException:  # noqa: BLE001 - reported as dbt's own crash would be
            traceback.print_exc()
            code = 2
    release_duckdb()
    return {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def release_duckdb() -> None:
    """dbt-duckdb keeps its database open for the life of the process; the
    tests read the file between commands, which DuckDB's lock forbids while
    another process has it open."""
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:
        return
    manager = connections.DuckDBConnectionManager
    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None


def serve(commands: Connection, log_path: str, env: dict[str, str], cwd: str) -> None:
    """A server's life, in the forked process: the project's environment and
    directory, everything written outside Python (the JVM, native code) into
    the log, then one answer per command until told to stop."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for descriptor in (1, 2):
        os.dup2(log, descriptor)
    os.close(log)
    from dbt.cli.main import dbtRunner

    while (args := commands.recv()) is not None:
        commands.send(run(dbtRunner(), args))


def start_server(log_path: Path, env: dict[str, str], cwd: Path) -> tuple[multiprocessing.Process, Connection]:
    """A server forked for one project; returns the process and its end of the pipe."""
    context = fork_server()
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(theirs, str(log_path), env, str(cwd)), daemon=True)
    process.start()
    theirs.close()
    return process, ours


@functools.cache
def fork_server() -> multiprocessing.context.ForkServerContext:
    """The fork server, started once per test process. It imports dbt in an
    environment without any key: what a module reads from the environment at
    import time is no project's."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("DBT_ENV_SECRET_")]:
        del os.environ[name]
    # The fork server imports its preloads before it learns this process's
    # sys.path: fork_server_warm_up is found through PYTHONPATH.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), saved.get("PYTHONPATH")]))
    try:
        forkserver.ensure_running()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return context
