{#- Leading digits of a US ZIP or ZIP+4 as text, leading zeros kept
    ('02139' and '02139-4307' give '021'). With digits=3 (the default),
    ZIP3 areas under 20,000 people give '000' (HIPAA Safe Harbor; list in
    restricted_zip3, overridable by the var pii_guard_restricted_zip3).
    Anything that is not 5 digits, optionally followed by 4 more (with or
    without a hyphen), after trimming spaces gives NULL: so does a ZIP stored as
    an integer that lost its leading zero (2139).

    {{ pii_guard.generalize_zip('zip') }} -#}
{% macro generalize_zip(zip, digits=3) -%}
  {{ pii_guard.require_expression('generalize_zip', 'zip', zip) }}
  {%- if digits not in [1, 2, 3] or digits is sameas true -%}
    {{ pii_guard.argument_error('generalize_zip', "digits must be 1, 2 or 3 (HIPAA Safe Harbor allows at most the first three digits); got " ~ digits ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('generalize_zip', 'pii_guard')(zip, digits)) }}
{%- endmacro %}

{% macro default__generalize_zip(zip, digits) -%}
  {{ pii_guard.unsupported_adapter('generalize_zip') }}
{%- endmacro %}

{% macro postgres__generalize_zip(zip, digits) -%}
  {{ pii_guard.duckdb__generalize_zip(zip, digits) }}
{%- endmacro %}

{% macro spark__generalize_zip(zip, digits) -%}
  {{ pii_guard.duckdb__generalize_zip(zip, digits) }}
{%- endmacro %}

{% macro duckdb__generalize_zip(zip, digits) -%}
  {%- set text = 'trim(' ~ pii_guard.as_text(zip) ~ ')' -%}
case when {{ pii_guard.regex_full_match(text, '[0-9]{5}(-?[0-9]{4})?') }}
  then {% if digits == 3 -%}
    case when left({{ text }}, 3) in ('{{ pii_guard.restricted_zip3() | join("', '") }}') then '000' else left({{ text }}, 3) end
  {%- else -%}
    left({{ text }}, {{ digits }})
  {%- endif %}
end
{%- endmacro %}
