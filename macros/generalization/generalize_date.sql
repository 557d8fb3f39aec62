{#- A date (or timestamp) coarsened to the first day of its month, quarter or
    year, as a DATE: 2024-05-17 gives 2024-05-01 (month), 2024-04-01 (quarter),
    2024-01-01 (year). NULL in, NULL out. HIPAA Safe Harbor keeps only the year
    of dates related to an individual: use grain='year' for that standard.

    {{ pii_guard.generalize_date('visit_date', grain='quarter') }} -#}
{% macro generalize_date(column, grain='month') -%}
  {{ pii_guard.require_expression('generalize_date', 'column', column) }}
  {%- if grain not in ['month', 'quarter', 'year'] -%}
    {{ pii_guard.argument_error('generalize_date', "grain must be 'month', 'quarter' or 'year'; got " ~ grain ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('generalize_date', 'pii_guard')(column, grain)) }}
{%- endmacro %}

{% macro default__generalize_date(column, grain) -%}
  {{ pii_guard.unsupported_adapter('generalize_date') }}
{%- endmacro %}

{% macro postgres__generalize_date(column, grain) -%}
  {{ pii_guard.duckdb__generalize_date(column, grain) }}
{%- endmacro %}

{% macro spark__generalize_date(column, grain) -%}
  {{ pii_guard.duckdb__generalize_date(column, grain) }}
{%- endmacro %}

{% macro duckdb__generalize_date(column, grain) -%}
  cast({{ dbt.date_trunc(grain, 'cast(' ~ column ~ ' as date)') }} as date)
{%- endmacro %}
