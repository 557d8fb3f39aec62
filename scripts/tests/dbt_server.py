"""Runs dbt commands in one long-lived process: dbt's imports (over a second)
happen once per project, and a Spark project's driver JVM (dbt-spark's
session method, about 10 s) starts once per project and key, not once per
command. The JVM reads the key from its environment at launch, which is why
one server serves one environment.

    stdin:  one JSON list of dbt arguments per line
    stdout: one JSON object per command: {"returncode", "stdout", "stderr"}

Exit status as dbt's command line gives it: 0 success, 1 a node failed,
2 dbt stopped with an error.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback


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


def main() -> None:
    from dbt.cli.main import dbtRunner

    # The answers get a descriptor of their own: whatever else writes to
    # file descriptor 1 (the JVM, a library) lands on stderr instead.
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        answer = run(dbtRunner(), json.loads(line))
        channel.write(json.dumps(answer) + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
