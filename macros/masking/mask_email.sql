{#- Masks the local part of an email and keeps its domain, lower-cased:
    'Ann.Lee@Example.com' gives 'a***@example.com'. A one-character local
    part is masked whole ('a@x.org' gives '***@x.org'). Anything that is not
    one '@' between a non-empty local part and a dotted domain, with no spaces
    (after trimming), gives NULL: the raw value is never passed through.

    {{ pii_guard.mask_email('email') }} -#}
{% macro mask_email(column) -%}
  {{ pii_guard.require_expression('mask_email', 'column', column) }}
  {{ return(adapter.dispatch('mask_email', 'pii_guard')(column)) }}
{%- endmacro %}

{% macro default__mask_email(column) -%}
  {{ pii_guard.unsupported_adapter('mask_email') }}
{%- endmacro %}

{% macro postgres__mask_email(column) -%}
  {{ pii_guard.duckdb__mask_email(column) }}
{%- endmacro %}

{% macro spark__mask_email(column) -%}
  {{ pii_guard.duckdb__mask_email(column) }}
{%- endmacro %}

{% macro duckdb__mask_email(column) -%}
  {%- set text = 'lower(trim(' ~ pii_guard.as_text(column) ~ '))' -%}
case when {{ pii_guard.regex_full_match(text, '[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+') }}
  then case when {{ dbt.position("'@'", text) }} > 2 then left({{ text }}, 1) else '' end
    || '***@' || split_part({{ text }}, '@', 2)
end
{%- endmacro %}
