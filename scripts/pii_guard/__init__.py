"""pii_guard: the Python side of the pii_guard dbt package.

- ``pii_guard.duckdb_plugin``: a dbt-duckdb plugin that hands the HMAC key to
  every DuckDB cursor as session variables, so the key never enters SQL text.
- ``pii_guard.keys``: reading and checking the key, and the HMAC key blocks.
- ``pii-guard`` (``pii_guard.cli``): the command line.
"""

__version__ = "0.1.0"
