{#- Keeps the last keep_last digits of a phone number and masks the others
    with '*', one per digit: '+1 (617) 555-0123' gives '*******0123'.
    Formatting is dropped. Fewer than 7 digits (not a phone number) gives NULL.

    {{ pii_guard.mask_phone('phone', keep_last=2) }} -#}
{% macro mask_phone(column, keep_last=4) -%}
  {{ pii_guard.require_expression('mask_phone', 'column', column) }}
  {%- if keep_last not in [0, 1, 2, 3, 4] or keep_last is sameas true or keep_last is sameas false -%}
    {{ pii_guard.argument_error('mask_phone', "keep_last must be a whole number from 0 to 4; got " ~ keep_last ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('mask_phone', 'pii_guard')(column, keep_last)) }}
{%- endmacro %}

{% macro default__mask_phone(column, keep_last) -%}
  {{ pii_guard.unsupported_adapter('mask_phone') }}
{%- endmacro %}

{% macro postgres__mask_phone(column, keep_last) -%}
  {{ pii_guard.duckdb__mask_phone(column, keep_last) }}
{%- endmacro %}

{% macro spark__mask_phone(column, keep_last) -%}
  {{ pii_guard.duckdb__mask_phone(column, keep_last) }}
{%- endmacro %}

{% macro duckdb__mask_phone(column, keep_last) -%}
  {%- set digits = pii_guard.regex_replace_all(pii_guard.as_text(column), '[^0-9]', '') -%}
case when length({{ digits }}) >= 7
  then repeat('*', length({{ digits }}) - {{ keep_last }}) || {% if keep_last > 0 %}right({{ digits }}, {{ keep_last }}){% else %}''{% endif %}
end
{%- endmacro %}
