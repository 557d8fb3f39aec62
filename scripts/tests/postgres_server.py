"""A throwaway PostgreSQL cluster on a free loopback port, for the tests.

Uses the initdb/pg_ctl on PATH (or Debian's /usr/lib/postgresql/*/bin).
initdb refuses to run as root, so as root the cluster runs as the `postgres`
OS user, in a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "pii_guard"
DATABASE = "pii_guard"


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found: install PostgreSQL (`make postgres`, or apt-get install postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    directory: Path
    port: int
    as_user: list[str]

    def psql(self, sql: str, user: str = USER, database: str = DATABASE) -> str:
        result = subprocess.run(
            [_binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return result.stdout

    def stop(self) -> None:
        subprocess.run(self.as_user + [_binary("pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    directory = Path(tempfile.mkdtemp(prefix="pii_guard_pg_"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = directory / "data"
    for command in (
        [_binary("initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C"],
        [_binary("pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"), "-w", "start",
         "-o", f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"],
    ):
        result = subprocess.run(as_user + command, capture_output=True, text=True, cwd=directory)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:1])} failed: {result.stdout}{result.stderr}")
    server = PostgresServer(directory, port, as_user)
    subprocess.run([_binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE], check=True)
    server.psql("create extension if not exists pgcrypto")
    # The role the integration project grants the safe tier to.
    server.psql("create role analyst login")
    return server
