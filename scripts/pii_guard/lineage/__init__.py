"""Column-level PII lineage over a compiled dbt project: `pii-guard check`.

The pipeline, one module a stage:

    project.load_project   manifest.json (+ catalog.json, dbt_project.yml) -> Project
    order.dependency_order parents before children
    schemas.schema_for     the columns of the relations a model reads
    trace.trace_model      one model's SQL -> each output column's upstream columns
    propagate.propagate    PII over the project's column graph, one linear pass
    report.build_report    violations, unresolved models, accepted findings

`check()` runs them in that order.
"""

from pii_guard.lineage.pipeline import check

__all__ = ["check"]
