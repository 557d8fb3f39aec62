"""Runs one compiled query on a fresh local SparkSession, in a process of its
own: the Spark driver reads the key from its environment once, at launch, so
each key gets its own JVM (launched from this process's environment, as
dbt-spark's session method launches it from dbt's). The JVM takes the
options in PII_GUARD_SPARK_JAVA_OPTIONS, as the integration profile's does
(a Spark DbtProject's environment holds them: spark_class_archive.py).

    stdin:  {"columns": "value string", "rows": [["a"], ...], "sql": "select ..."}
    stdout: {"rows": [[...], ...]}  or  {"error": "<the exception's class>"}
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    request = json.load(sys.stdin)
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.catalogImplementation", "in-memory")
             .config("spark.sql.ansi.enabled", "false")
             .config("spark.driver.extraJavaOptions", os.environ.get("PII_GUARD_SPARK_JAVA_OPTIONS", ""))
             .getOrCreate())
    spark.sparkContext.setLogLevel("OFF")
    try:
        spark.createDataFrame(request["rows"], schema=request["columns"]).createOrReplaceTempView("vectors")
        try:
            rows = [list(row) for row in spark.sql(request["sql"]).collect()]
            answer = {"rows": rows}
        except Exception as error:  # noqa: BLE001 - the class only: a message may quote the key
            answer = {"error": type(error).__name__}
        json.dump(answer, sys.stdout, default=str)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
