{#- Regular-expression building blocks whose spelling differs by engine; the
    patterns are POSIX-style and mean the same on each. -#}
{% macro regex_full_match(expression, pattern) -%}
  {{ return(adapter.dispatch('regex_full_match', 'pii_guard')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regex_full_match(expression, pattern) -%}{{ pii_guard.unsupported_adapter('regex_full_match') }}{%- endmacro %}
{% macro duckdb__regex_full_match(expression, pattern) -%}regexp_full_match({{ expression }}, '{{ pattern }}'){%- endmacro %}
{% macro postgres__regex_full_match(expression, pattern) -%}({{ expression }} ~ '^(?:{{ pattern }})$'){%- endmacro %}

{% macro regex_group(expression, pattern, group) -%}
  {{ return(adapter.dispatch('regex_group', 'pii_guard')(expression, pattern, group)) }}
{%- endmacro %}
{% macro default__regex_group(expression, pattern, group) -%}{{ pii_guard.unsupported_adapter('regex_group') }}{%- endmacro %}
{% macro duckdb__regex_group(expression, pattern, group) -%}nullif(regexp_extract({{ expression }}, '{{ pattern }}', {{ group }}), ''){%- endmacro %}
{% macro postgres__regex_group(expression, pattern, group) -%}(regexp_match({{ expression }}, '{{ pattern }}'))[{{ group }}]{%- endmacro %}

{#- UTF-8 byte length of a text expression. -#}
{% macro byte_length(expression) -%}
  {{ return(adapter.dispatch('byte_length', 'pii_guard')(expression)) }}
{%- endmacro %}
{% macro default__byte_length(expression) -%}{{ pii_guard.unsupported_adapter('byte_length') }}{%- endmacro %}
{% macro duckdb__byte_length(expression) -%}strlen({{ expression }}){%- endmacro %}
{% macro postgres__byte_length(expression) -%}octet_length({{ expression }}){%- endmacro %}

{#- The integer value of 8 hex digits. -#}
{% macro hex8_to_bigint(expression) -%}
  {{ return(adapter.dispatch('hex8_to_bigint', 'pii_guard')(expression)) }}
{%- endmacro %}
{% macro default__hex8_to_bigint(expression) -%}{{ pii_guard.unsupported_adapter('hex8_to_bigint') }}{%- endmacro %}
{% macro duckdb__hex8_to_bigint(expression) -%}('0x' || {{ expression }})::bigint{%- endmacro %}
{% macro postgres__hex8_to_bigint(expression) -%}('x' || {{ expression }})::bit(32)::bigint{%- endmacro %}
