{#- For the Spark key-channel test: every configuration the session holds
    (SET: the values in effect, Spark's own included; SET -v: every SQL
    configuration with its value), one `name = value` line each on dbt's console. -#}
{% macro dump_spark_conf() %}
  {%- for statement in ["set", "set -v"] -%}
    {%- set result = run_query(statement) -%}
    {%- for row in result.rows -%}
      {{ log("spark conf: " ~ row[0] ~ " = " ~ row[1], info=true) }}
    {%- endfor -%}
  {%- endfor -%}
{% endmacro %}
