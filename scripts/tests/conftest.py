"""Fixtures that run the integration dbt project in a throwaway directory."""

from __future__ import annotations

import secrets

import pytest

from dbt_harness import DbtProject, require_ok


@pytest.fixture(scope="session")
def dbt_packages(tmp_path_factory) -> None:
    """`dbt deps` once per session: installs the package itself with local: ../"""
    project = DbtProject(tmp_path_factory.mktemp("deps"), key=None)
    require_ok(project.dbt("deps"), "dbt deps")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory, dbt_packages) -> tuple[DbtProject, str]:
    """The whole integration project seeded and built with --debug, a fresh
    random key and --store-failures (every test's rows kept in the warehouse).
    Returns the project and dbt's console output."""
    project = DbtProject(tmp_path_factory.mktemp("build"), key=secrets.token_hex(32))
    seed = project.dbt("seed", debug=True)
    require_ok(seed, "dbt seed")
    build = project.dbt("build", "--store-failures", debug=True)
    require_ok(build, "dbt build")
    return project, seed.stdout + seed.stderr + build.stdout + build.stderr


@pytest.fixture
def scratch_project(tmp_path, dbt_packages):
    """A factory for a project in a fresh directory with the given key."""

    def make(key: str | None, **extra_env: str) -> DbtProject:
        return DbtProject(tmp_path, key=key, extra_env=extra_env)

    return make
