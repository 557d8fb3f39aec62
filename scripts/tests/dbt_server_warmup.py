"""Imported by the dbt servers' fork server only (dbt_server.PRELOADED): a
`dbt parse` of a small throwaway project, so the caches dbt fills on its
first parse in a process (above all the JSON schemas it validates configs
and nodes against, about a second) are filled once, before any server is
forked, instead of once in every server.

Nothing of it outlives the import but those caches: the project and its
files are deleted, and every dbt command resets dbt's adapters, flags and
loggers when it starts. It reads no key and no project of the tests.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILES = {
    "dbt_project.yml": "name: warmup\nversion: '1.0'\nconfig-version: 2\nprofile: warmup\n"
                       "flags: {send_anonymous_usage_stats: false}\n",
    "profiles.yml": "warmup:\n  target: duckdb\n  outputs:\n    duckdb: {type: duckdb, path: warmup.duckdb}\n",
    "seeds/people.csv": "id,email\n1,a@example.com\n",
    "models/stg_people.sql": "select id, email from {{ ref('people') }}",
    "models/people_by_id.sql": "{{ config(materialized='table') }} select id from {{ ref('stg_people') }}",
    "models/_models.yml": "models:\n  - name: stg_people\n    config: {meta: {pii: true}}\n    columns:\n"
                          "      - name: email\n        meta: {pii: true}\n        data_tests: [not_null, unique]\n",
    "models/_sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: people\n"
                           "        columns:\n          - name: id\n            data_tests: [not_null]\n",
    "snapshots/people_snapshot.yml": "snapshots:\n  - name: people_snapshot\n    relation: ref('people')\n"
                                     "    config: {unique_key: id, strategy: check, check_cols: all}\n",
    "tests/no_rows.sql": "select * from {{ ref('people_by_id') }} where 1 = 0",
}


def warm_up() -> None:
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory(prefix="dbt-warmup-") as directory:
        root = Path(directory)
        for name, text in FILES.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        previous = os.getcwd()
        os.chdir(root)
        try:
            dbtRunner().invoke(["--quiet", "parse", "--project-dir", str(root), "--profiles-dir", str(root),
                                "--target-path", str(root / "target"), "--log-path", str(root / "logs"),
                                "--no-write-json", "--no-partial-parse"])
        finally:
            os.chdir(previous)


warm_up()
