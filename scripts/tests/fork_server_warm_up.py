"""Imported by the dbt servers' fork server only (dbt_server.PRELOADED): a
`dbt parse` of a small throwaway project, so the caches dbt fills on its
first parse in a process (the JSON schemas it validates configs and nodes
against, the (de)serialisers mashumaro writes for each class: about two
seconds) are filled once, before any server is forked, not in every server.

It also turns on the caches dbt keeps for test suites (dbt_common.tests,
as dbt's own pytest fixtures do): Jinja's parse of a text, the blocks and
macro calls found in it, the plugins found on sys.path. A project's parse
is mostly the parse of its packages' macros (pii_guard's and dbt's own,
the same text in every project): cached, a server parses a new project in
a fraction of the time. The caches are keyed by the text parsed, so a
changed file is parsed anew.

Nothing of it outlives the import but those caches: the project and its
files are deleted, its adapter is dropped, and every dbt command resets
dbt's adapters, flags and loggers when it starts. It reads no key and no
project of the tests. Its name starts with no `dbt_`: dbt imports every
module so named on sys.path as a plugin, which would run the warm-up in
every process that runs dbt in-process.

Forking is safe only from a process of one thread. dbt's static parser
starts a pool of threads on its first use (a server forked after that hung
on a lock one of them held), so the warm-up parses without it, and without
a snapshot (whose parse starts the pool all the same); the fork server
stops, saying why, should a parse ever leave a thread behind.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
FILES = {
    "dbt_project.yml": "name: warmup\nversion: '1.0'\nconfig-version: 2\nprofile: warmup\n"
                       "flags: {send_anonymous_usage_stats: false}\n",
    "profiles.yml": "warmup:\n  target: duckdb\n  outputs:\n    duckdb: {type: duckdb, path: warmup.duckdb}\n",
    "seeds/people.csv": "id,email\n1,a@example.com\n",
    "seeds/_seeds.yml": "seeds:\n  - name: people\n    config: {column_types: {id: integer}}\n",
    "macros/upper_email.sql": "{% macro upper_email(column) %}upper({{ column }}){% endmacro %}",
    "models/stg_people.sql": "select id, {{ upper_email('email') }} as email, "
                             "{{ pii_guard.mask_email('email') }} as masked from {{ ref('people') }}",
    "models/people_by_id.sql": "{{ config(materialized='table', tags=['safe']) }} "
                               "select id from {{ ref('stg_people') }}",
    "models/_models.yml": "models:\n  - name: stg_people\n    config: {meta: {pii: true}}\n    columns:\n"
                          "      - name: email\n        meta: {pii: true}\n        tags: [pii]\n"
                          "        data_tests: [not_null, unique, {accepted_values: {arguments: {values: [a]}}}]\n"
                          "unit_tests:\n  - name: stg_people_upper\n    model: stg_people\n"
                          "    given: [{input: \"ref('people')\", rows: [{id: 1, email: a}]}]\n"
                          "    expect: {rows: [{id: 1, email: A}]}\n",
    "models/_sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: people\n"
                           "        columns:\n          - name: id\n            data_tests: [not_null]\n",
    "tests/no_rows.sql": "select * from {{ ref('people_by_id') }} where 1 = 0",
}


def warm_up() -> bool:
    """Turns on dbt's caches for test suites and parses the throwaway project;
    True when dbt parsed it whole."""
    from dbt.adapters.factory import reset_adapters
    from dbt.cli.main import dbtRunner
    from dbt_common.tests import enable_test_caching

    enable_test_caching()

    with tempfile.TemporaryDirectory(prefix="dbt-warmup-") as directory:
        root = Path(directory)
        for name, text in FILES.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        # The package itself, as `dbt deps` installs a local package: its
        # macros are in every project of the tests.
        (root / "dbt_packages").mkdir()
        (root / "dbt_packages" / "pii_guard").symlink_to(PACKAGE, target_is_directory=True)
        result = dbtRunner().invoke([
            "--quiet", "--log-level-file", "none", "--no-send-anonymous-usage-stats", "--no-version-check",
            "parse", "--no-static-parser", "--no-partial-parse", "--project-dir", str(root),
            "--profiles-dir", str(root), "--target-path", str(root / "target"), "--log-path", str(root / "logs"),
        ])
    reset_adapters()
    threads = native_threads()
    if threads != 1:
        # Forking now could hang a server forever; stop instead, visibly.
        print(f"fork_server_warm_up: the warm-up parse left {threads} threads in the fork server, "
              "which forks only safely with one: drop it from dbt_server.PRELOADED", file=sys.stderr)
        os._exit(70)
    return result.success


def native_threads() -> int:
    """The process's threads, native ones included (Linux's /proc); elsewhere
    only the threads Python started, which is the best the platform tells."""
    if os.path.isdir("/proc/self/task"):
        return len(os.listdir("/proc/self/task"))
    import threading

    return threading.active_count()


PARSED = warm_up()
