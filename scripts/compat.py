"""`make compat`: the integration project built end to end on DuckDB under the
lowest and the highest dbt-core minor pyproject.toml supports.

The range is read from the `duckdb` extra (`dbt-core>=1.9,<1.12` gives 1.9 and
1.11): pyproject.toml is the one place the supported versions are written. For
each minor, a virtual environment under .compat/ (one per Python) gets `pip install -e .[duckdb]`
with dbt-core and dbt-duckdb held to that minor (rebuilt only when
pyproject.toml changes), then, in a scratch directory, `dbt deps`, `dbt seed`,
`dbt build` (every model and data test) and `pii-guard check`.

    python scripts/compat.py            # the lowest and highest supported minor
    python scripts/compat.py 1.10       # any other minor, to try it
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = REPO / "integration_tests"
ENVIRONMENTS = REPO / ".compat"
BOUNDED = re.compile(r"dbt-core\s*>=\s*(\d+)\.(\d+)\s*,\s*<\s*(\d+)\.(\d+)")


class CompatError(Exception):
    """Why the versions could not be read, said so a user can fix it."""


def supported_minors(pyproject: Path) -> list[str]:
    """The lowest and the highest dbt-core minor the `duckdb` extra allows.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "pyproject.toml"
    >>> _ = path.write_text('[project.optional-dependencies]\\nduckdb = ["dbt-core>=1.9,<1.12"]\\n')
    >>> supported_minors(path)
    ['1.9', '1.11']
    """
    extras = tomllib.loads(pyproject.read_text())["project"].get("optional-dependencies", {})
    for requirement in extras.get("duckdb", []):
        bounds = BOUNDED.fullmatch(requirement.replace(" ", ""))
        if bounds:
            major, low, upper_major, upper = (int(part) for part in bounds.groups())
            if upper_major != major or upper <= low:
                break
            return [f"{major}.{low}", f"{major}.{upper - 1}"]
    raise CompatError(f"{pyproject}: the duckdb extra needs a requirement 'dbt-core>=X.Y,<X.Z' "
                      "(the supported range, upper bound excluded, within one major)")


def environment(minor: str, pyproject: Path) -> Path:
    """A virtual environment with the duckdb extra on dbt-core `minor`: reused
    while pyproject.toml and this Python are unchanged, rebuilt from scratch otherwise."""
    venv = ENVIRONMENTS / f"py{sys.version_info.major}.{sys.version_info.minor}-dbt-{minor}"
    pins = [f"dbt-core=={minor}.*", f"dbt-duckdb=={minor}.*"]
    wanted = hashlib.sha256(pyproject.read_bytes() + " ".join([sys.version, *pins]).encode()).hexdigest()
    stamp = venv / ".compat-stamp"
    if stamp.exists() and stamp.read_text() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", "-e", f"{REPO}[duckdb]", *pins],
                             capture_output=True, text=True)
    if install.returncode != 0:
        raise CompatError(f"pip could not install .[duckdb] with {' '.join(pins)}:\n{install.stderr[-3000:]}")
    stamp.write_text(wanted)
    return venv


def installed_versions(venv: Path) -> str:
    """'dbt-core 1.10.23, dbt-duckdb 1.10.1, duckdb 2.0.1, Python 3.11.7' as installed in `venv`."""
    names = ("dbt-core", "dbt-duckdb", "duckdb")
    code = ("import importlib.metadata as m, platform, sys; "
            "print(', '.join([*(f'{n} {m.version(n)}' for n in sys.argv[1:]), 'Python ' + platform.python_version()]))")
    return subprocess.run([str(venv / "bin" / "python"), "-c", code, *names],
                          capture_output=True, text=True, check=True).stdout.strip()


def build_integration_project(venv: Path, workdir: Path) -> None:
    """deps, seed, build and `pii-guard check` in `workdir`, with a fresh key;
    raises CompatError naming the step that failed, with its output's tail."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("DBT_ENV_SECRET_")}
    env.update(
        DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_VERSION_CHECK="false",
        DBT_ENV_SECRET_PII_GUARD_KEY=secrets.token_hex(32),
        DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY=secrets.token_hex(32),
        PII_GUARD_DUCKDB_PATH=str(workdir / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(workdir / "target"), DBT_LOG_PATH=str(workdir / "logs"),
        DBT_PACKAGES_INSTALL_PATH=str(workdir / "dbt_packages"),
    )
    dbt = [str(venv / "bin" / "dbt"), "--no-use-colors"]
    where = ["--profiles-dir", str(INTEGRATION), "--project-dir", str(INTEGRATION)]
    steps = {
        "dbt deps": dbt + ["deps"] + where,
        "dbt seed": dbt + ["seed", "--target", "duckdb"] + where,
        "dbt build": dbt + ["build", "--target", "duckdb"] + where,
        "pii-guard check": [str(venv / "bin" / "pii-guard"), "check", "--project-dir", str(INTEGRATION),
                            "--manifest", str(workdir / "target" / "manifest.json")],
    }
    for step, command in steps.items():
        result = subprocess.run(command, cwd=INTEGRATION, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise CompatError(f"{step} exited {result.returncode}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")


def main(argv: list[str]) -> int:
    """Checks each minor in `argv` (default: the supported range); one summary
    line each, and exit status 1 if any failed."""
    try:
        minors = argv or supported_minors(REPO / "pyproject.toml")
    except CompatError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    failed = []
    for minor in minors:
        started = time.monotonic()
        versions = f"dbt-core {minor}.*"
        try:
            venv = environment(minor, REPO / "pyproject.toml")
            versions = installed_versions(venv)
            build_integration_project(venv, venv / "run")
            outcome = "passed"
        except CompatError as problem:
            print(f"compat: dbt-core {minor}: {problem}", file=sys.stderr)
            outcome = "FAILED"
            failed.append(minor)
        print(f"compat: {versions}: {outcome} in {time.monotonic() - started:.0f}s", flush=True)
    if failed:
        print(f"error: make compat failed on dbt-core {', '.join(failed)} (the failing step's output is above)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
