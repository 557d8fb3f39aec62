{#- For the key-leak test: EXPLAIN ANALYZE of a query that hashes, its plan
    logged where dbt's console and dbt.log keep it. -#}
{% macro explain_keyed_query() %}
  {%- set plan = run_query("explain analyze select " ~ pii_guard.hash_pii("email", normalize="email") ~ " as email_hash from " ~ source("raw", "raw_customers")) -%}
  {%- for row in plan.rows -%}
    {{ log(row[1], info=true) }}
  {%- endfor -%}
{% endmacro %}
