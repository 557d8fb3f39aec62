{#- Completed years between a birth date and as_of (default: today).
    1990-06-15 on 2024-06-14 is 33. Someone born on 29 February has their
    birthday on 1 March in common years: 0 on 2001-02-28, 1 on 2001-03-01.
    NULL, and a birth date after as_of, give NULL.

    Not DuckDB's date_diff('year', ...), which counts year boundaries and makes
    people a year older before their birthday.

    {{ pii_guard.age_years('birth_date', as_of="date '2024-01-01'") }} -#}
{% macro age_years(dob, as_of='current_date') -%}
  {{ pii_guard.require_expression('age_years', 'dob', dob) }}
  {{ pii_guard.require_expression('age_years', 'as_of', as_of) }}
  {{ return(adapter.dispatch('age_years', 'pii_guard')(dob, as_of)) }}
{%- endmacro %}

{% macro default__age_years(dob, as_of='current_date') -%}
  {{ pii_guard.unsupported_adapter('age_years') }}
{%- endmacro %}

{% macro postgres__age_years(dob, as_of='current_date') -%}
  {{ pii_guard.duckdb__age_years(dob, as_of) }}
{%- endmacro %}

{% macro spark__age_years(dob, as_of='current_date') -%}
  {{ pii_guard.duckdb__age_years(dob, as_of) }}
{%- endmacro %}

{% macro duckdb__age_years(dob, as_of='current_date') -%}
  {%- set born = 'cast(' ~ dob ~ ' as date)' -%}
  {%- set on = 'cast(' ~ as_of ~ ' as date)' -%}
case when {{ born }} > {{ on }} then null
  else cast(
    extract(year from {{ on }}) - extract(year from {{ born }})
    - case when extract(month from {{ on }}) * 100 + extract(day from {{ on }})
             < extract(month from {{ born }}) * 100 + extract(day from {{ born }}) then 1 else 0 end
  as integer)
end
{%- endmacro %}
