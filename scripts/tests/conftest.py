"""Fixtures that run the integration dbt project in a throwaway directory."""

from __future__ import annotations

import hashlib
import secrets

import pytest

from dbt_harness import BUILDS, INTEGRATION, KEY_ENV_VAR, DbtProject, compile_for_spark, require_ok
from spark_class_archive import spark_java_options

# Imported by the dbt servers' fork server only: it parses a project when imported.
collect_ignore = ["fork_server_warm_up.py"]


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent without -n
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under pytest-xdist's load distribution (`make test`: -n 2) every Spark
    test runs on one worker: the Spark build fixture is built once, and two
    driver JVMs never compete for the two cores. The rest go by module, so a
    module's fixtures (a dbt project built for its tests) are built once, on
    the worker that runs the module.

    Decided here from the test's id, because the scheduler sees only ids:
    xdist's own `xdist_group` marks reach it by renaming ids, which pytest 9.2
    no longer allows (the groups were silently ignored)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SparkOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "spark" if "spark" in nodeid.lower() else nodeid.split("::")[0]

    return SparkOnOneWorker(config, log)


@pytest.fixture(scope="session")
def dbt_packages(tmp_path_factory) -> None:
    """`dbt deps` in the integration project: installs the package itself with
    local: ../ (once per test run, see DbtProject._deps_once_per_run)."""
    project = DbtProject(tmp_path_factory.mktemp("deps"), key=None)
    require_ok(project.dbt("deps"), "dbt deps")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory, dbt_packages) -> tuple[DbtProject, str]:
    """The whole integration project seeded and built with --debug, a fresh
    random key and --store-failures (every test's rows kept in the warehouse).
    Returns the project and dbt's console output."""
    # An encryption key too: the key-leak search looks for it (the plugin holds it).
    project = DbtProject(tmp_path_factory.mktemp("build"), key=secrets.token_hex(32),
                         extra_env={"DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY": secrets.token_hex(32)})
    seed = project.dbt("seed", debug=True, as_process=True)
    require_ok(seed, "dbt seed")
    build = project.dbt("build", "--store-failures", debug=True, as_process=True)
    require_ok(build, "dbt build")
    return project, seed.stdout + seed.stderr + build.stdout + build.stderr


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server with pgcrypto, for the whole session."""
    from postgres_server import start_postgres

    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def postgres_database(request):
    """A factory: a database of its own (with pgcrypto) on the session's
    PostgreSQL server, named <prefix>_<random>, dropped after the test.
    Returns the extra_env that points dbt and DbtProject at it."""
    created = []

    def make(prefix: str) -> dict[str, str]:
        postgres = request.getfixturevalue("postgres")
        database = prefix + "_" + secrets.token_hex(4)
        postgres.psql(f"create database {database}")
        postgres.psql("create extension pgcrypto", database=database)
        created.append((postgres, database))
        return {"PII_GUARD_PG_PORT": str(postgres.port), "PII_GUARD_PG_DATABASE": database}

    yield make
    for postgres, database in created:
        postgres.psql(f"drop database {database} with (force)")


@pytest.fixture(scope="session")
def built_project_pg(tmp_path_factory, dbt_packages, postgres):
    """The integration project seeded and built on PostgreSQL with a fresh key."""
    project = DbtProject(tmp_path_factory.mktemp("build_pg"), key=secrets.token_hex(32), target="postgres",
                         extra_env={"PII_GUARD_PG_PORT": str(postgres.port)})
    require_ok(project.dbt("seed", as_process=True), "dbt seed (postgres)")
    build = project.dbt("build", "--store-failures", as_process=True)
    require_ok(build, "dbt build (postgres)")
    return project, build.stdout


@pytest.fixture(scope="session")
def spark_build_processes():
    """Every process's command line while built_project_spark seeded and built
    (filled by that fixture: request it first)."""
    from process_sampler import CommandLineSampler

    return CommandLineSampler()


@pytest.fixture(scope="session")
def built_project_spark(tmp_path_factory, dbt_packages, spark_build_processes):
    """The integration project seeded and built on a local SparkSession (dbt-spark's
    session method) with --debug and a fresh key, while spark_build_processes
    samples every command line on the machine. Returns the project and the console."""
    project = DbtProject(tmp_path_factory.mktemp("build_spark"), key=secrets.token_hex(32), target="spark",
                         extra_env={"DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY": secrets.token_hex(32)})
    with spark_build_processes:
        seed = project.dbt("seed", debug=True, as_process=True)
        require_ok(seed, "dbt seed (spark)")
        build = project.dbt("build", "--store-failures", debug=True, as_process=True)
        require_ok(build, "dbt build (spark)")
    return project, seed.stdout + seed.stderr + build.stdout + build.stderr


@pytest.fixture(params=list(BUILDS))
def engine_build(request):
    """The built integration project on each engine."""
    return request.getfixturevalue(BUILDS[request.param])[0]


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    """A local SparkSession in this process, for running compiled SQL directly
    (the shared vectors). No Hive metastore: temporary views only.

    The macros read the key from the driver JVM's environment, which the JVM
    reads once, at launch: like dbt-spark's session JVM, which inherits dbt's
    key, this one is launched with the shared vectors' published key."""
    import json
    import os

    from pyspark.sql import SparkSession

    vectors = json.loads((INTEGRATION / "vectors" / "pseudonym_vectors.json").read_text())
    scratch = tmp_path_factory.mktemp("spark_session")
    java_options = spark_java_options(scratch)  # before the key is set
    saved = os.environ.get(KEY_ENV_VAR)
    os.environ[KEY_ENV_VAR] = vectors["key"]  # pyspark hands os.environ to the JVM it launches
    try:
        builder = (SparkSession.builder.master("local[1]")
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.catalogImplementation", "in-memory")
                   .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
                   .config("spark.sql.ansi.enabled", "false")  # as dbt-spark sets it
                   .config("spark.driver.extraJavaOptions", java_options))
        session = builder.getOrCreate()
    finally:
        if saved is None:
            del os.environ[KEY_ENV_VAR]
        else:
            os.environ[KEY_ENV_VAR] = saved
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def scratch_project(tmp_path, dbt_packages):
    """A factory for a project in a fresh directory with the given key."""

    def make(key: str | None, target: str = "duckdb", **extra_env: str) -> DbtProject:
        return DbtProject(tmp_path, key=key, extra_env=extra_env, target=target)

    return make


@pytest.fixture(scope="session")
def dbt_inline(tmp_path_factory, dbt_packages):
    """Compile inline SQL in the integration project, in-process (fast).
    Returns (compiled SQL, None) or (None, the error message with its causes)."""
    from dbt.cli.main import dbtRunner
    from dbt_common.tests import enable_test_caching

    enable_test_caching()  # as in the dbt servers (fork_server_warm_up.py)
    workdir = tmp_path_factory.mktemp("compile")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("PII_GUARD_DUCKDB_PATH", str(workdir / "compile.duckdb"))
    monkeypatch.setenv("PII_GUARD_SPARK_DIR", str(workdir / "spark"))
    runner = dbtRunner()

    def compile_(sql: str, *extra: str) -> tuple[str | None, str | None]:
        # A target folder per target and vars: dbt's saved parse holds for one
        # of them, and a change of either would parse the project anew.
        target_path = workdir / ("target-" + hashlib.sha256(repr(extra).encode()).hexdigest()[:16])
        result = runner.invoke([
            # No cache: compiling inline SQL needs no warehouse.
            "--quiet", "--no-populate-cache", "compile", "--inline", sql,
            "--project-dir", str(INTEGRATION), "--profiles-dir", str(INTEGRATION),
            "--target-path", str(target_path), "--log-path", str(workdir / "logs"),
            *extra,
        ])
        if result.success:
            return result.result.results[0].node.compiled_code, None
        # Inline SQL fails while dbt parses it; the macro's message is a cause.
        chain, error = [], result.exception
        while error is not None:
            chain.append(str(error))
            error = error.__cause__ or error.__context__
        return None, "\n".join(chain)

    yield compile_
    monkeypatch.undo()


@pytest.fixture(scope="session")
def spark_compile(tmp_path_factory, dbt_packages):
    """Inline SQL compiled for Spark by one project for the whole run, so its
    dbt server parses the integration project once (see compile_for_spark).
    Compiling opens no Spark session and needs no key."""
    project = DbtProject(tmp_path_factory.mktemp("spark_compile"), key=None, target="spark")
    return lambda sql: compile_for_spark(project, sql)


@pytest.fixture(scope="session")
def compile_inline(dbt_inline):
    """Compile inline SQL; return the error message, or None when it compiled."""
    return lambda sql, *extra: dbt_inline(sql, *extra)[1]
