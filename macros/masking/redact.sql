{#- NULL of the column's own type: the column stays in the schema (so
    downstream contracts and select lists keep working) and holds nothing.

    {{ pii_guard.redact('ssn') }} -#}
{% macro redact(column) -%}
  {{ pii_guard.require_expression('redact', 'column', column) }}
  {{ return(adapter.dispatch('redact', 'pii_guard')(column)) }}
{%- endmacro %}

{% macro default__redact(column) -%}
  {{ pii_guard.unsupported_adapter('redact') }}
{%- endmacro %}

{% macro postgres__redact(column) -%}
  {{ pii_guard.duckdb__redact(column) }}
{%- endmacro %}

{% macro spark__redact(column) -%}
  {{ pii_guard.duckdb__redact(column) }}
{%- endmacro %}

{% macro duckdb__redact(column) -%}
  case when false then {{ column }} end
{%- endmacro %}
