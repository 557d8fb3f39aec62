"""A class-data-sharing archive for the tests' Spark driver JVMs.

Every Spark project in the tests launches a driver JVM of its own (the JVM
reads the key from its environment at launch, so one JVM serves one key):
about fifty launches a run. Most of a launch is loading and verifying Spark's
classes from its jars; a JVM started with a CDS archive maps them ready-made
(Java's -XX:SharedArchiveFile), which halves each launch (about 10.5 s to
6 s here) and the first queries after it.

The archive is written once per pyspark and Java version, by a run of the
statements dbt-spark issues (this file run as a script, with
-XX:ArchiveClassesAtExit), into the virtualenv. A JVM that finds the archive
does not match it (another JDK) runs without it and says so; nothing else
changes, and no key is involved: the archive holds classes, never data.

    >>> spark_java_options(Path("/scratch"))  # the first call in a virtualenv writes the archive, about 30 s
    '-XX:SharedArchiveFile=.../pii_guard-spark-cds/...jsa ... -Djava.io.tmpdir=/scratch/tmp'
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

PROFILES = Path(__file__).resolve().parents[2] / "integration_tests" / "profiles.yml"

# What dbt-spark and the package's macros send: schemas, Parquet tables from
# a select, inserts, views, metadata, and the functions the macros compile to.
WORKLOAD = [
    "show databases",
    "create schema if not exists main",
    "create schema if not exists main_safe",
    "show table extended in main like '*'",
    "create table main.people using parquet as select 1 as id, 'a@b.example' as email, "
    "date'1980-02-29' as born, cast(null as string) as note",
    "insert into main.people select 2, 'c@d.example', date'1990-01-01', 'x'",
    "insert overwrite table main.people select 1, 'a@b.example', date'1980-02-29', null",
    "describe table extended main.people",
    "show tblproperties main.people",
    "create or replace temporary view people_view as select * from main.people",
    "create table main_safe.people_safe using parquet as "
    "select id, hex(hmac(unhex(sha2('k', 256)), email)) as email_hash, sha2(email, 256) as plain_hash, "
    "regexp_replace(email, '[^@]+@', '***@') as masked, floor(datediff(current_date(), born) / 365.25) as age, "
    "date_trunc('month', born) as born_month, substring(email, 1, 3) as prefix, "
    "case when id > 1 then 'b' else 'a' end as band, coalesce(note, '') as note, "
    "row_number() over (partition by id order by born) as rn, count(*) over () as n "
    "from people_view",
    "select band, count(distinct email_hash) from main_safe.people_safe group by band having count(*) >= 1",
    "select p.id, s.band from main.people p left join main_safe.people_safe s on p.id = s.id "
    "union all select id, band from main.people p join main_safe.people_safe s using (id) where false",
    "select aes_decrypt(aes_encrypt('x', '0123456789abcdef', 'GCM'), '0123456789abcdef', 'GCM')",
    "select current_user(), to_json(named_struct('a', 1)), explode(array(1, 2))",
    "alter table main.people set tblproperties ('comment' = 'c')",
    "drop view if exists people_view",
    "drop table if exists main_safe.people_safe",
    "drop table if exists main.people",
    "drop schema if exists main_safe cascade",
]


def spark_java_options(scratch: Path) -> str:
    """The driver JVM options for a Spark session whose scratch folder is
    `scratch`: Spark's classes from the archive, and Spark's and Hive's
    temporary folders inside `scratch` instead of /tmp (about sixty were
    left behind a run; the key-leak search reads them there)."""
    return f"{_archive_options()} -Djava.io.tmpdir={scratch / 'tmp'}".strip()


@functools.cache
def _archive_options() -> str:
    """The options that load Spark's classes from the archive, writing it
    first when this pyspark and Java have none. Empty (with a warning) when
    the archive cannot be written: the tests then run as before, only slower."""
    import pyspark

    java_version = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    directory = Path(sys.prefix) / "pii_guard-spark-cds"
    directory.mkdir(exist_ok=True)
    archive = directory / f"{pyspark.__version__}-{hashlib.sha256(java_version.encode()).hexdigest()[:12]}.jsa"
    # Several pytest workers may ask at once: one writes, the others wait.
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not archive.exists():
            problem = _write_archive(archive)
            if problem:
                warnings.warn(f"Spark's class archive was not written, Spark tests run without it: {problem}")
                return ""
    # The tests' JVMs live seconds to minutes on tiny tables: the quick
    # compiler alone and one garbage-collector thread leave the cores to the
    # work (a further 12% off the short Spark tests, none lost on the longest).
    return f"-XX:SharedArchiveFile={archive} -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _write_archive(archive: Path) -> str | None:
    partial = archive.with_suffix(".partial")
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run([sys.executable, __file__, scratch, str(partial)],
                                capture_output=True, text=True, timeout=600)
    if result.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        return result.stderr[-2000:] or f"exit {result.returncode}"
    partial.rename(archive)
    return None


def profile_spark_parameters(spark_dir: str, java_options: str) -> dict[str, str]:
    """The integration profile's Spark `server_side_parameters`, rendered as
    dbt renders them with PII_GUARD_SPARK_DIR and PII_GUARD_SPARK_JAVA_OPTIONS set."""
    import jinja2
    import yaml

    outputs = yaml.safe_load(PROFILES.read_text())["pii_guard_integration_tests"]["outputs"]
    values = {"PII_GUARD_SPARK_DIR": spark_dir, "PII_GUARD_SPARK_JAVA_OPTIONS": java_options}

    def env_var(name: str, default: str = "") -> str:
        return values.get(name, default)

    return {name: jinja2.Template(str(value)).render(env_var=env_var)
            for name, value in outputs["spark"]["server_side_parameters"].items()}


def run_workload(scratch: str, archive: str) -> None:
    """A Spark session configured as the integration profile's (dbt-spark's
    session method: Hive support, the profile's parameters), with the JVM
    dumping every class it loaded into `archive` when it exits."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    java_options = f"-Djava.io.tmpdir={scratch}/tmp -XX:ArchiveClassesAtExit={archive}"
    for name, value in profile_spark_parameters(scratch, java_options).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    for statement in WORKLOAD:
        session.sql(statement).collect()
    launcher = session.sparkContext._gateway.proc
    session.stop()
    # The JVM writes the archive as it exits, which it does when its
    # standard input closes: wait for that, not only for Python's exit.
    launcher.stdin.close()
    launcher.wait(timeout=300)


if __name__ == "__main__":
    os.environ.pop("DBT_ENV_SECRET_PII_GUARD_KEY", None)
    run_workload(sys.argv[1], sys.argv[2])
