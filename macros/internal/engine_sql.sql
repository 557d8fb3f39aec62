{#- Building blocks whose spelling differs by engine; the macros above them are
    written once. Regular expressions are POSIX-style and mean the same on each
    engine. Spark gets raw literals (r'...'): its ordinary string literals eat
    backslashes, so the pattern text stays identical on every engine. -#}
{% macro regex_full_match(expression, pattern) -%}
  {{ return(adapter.dispatch('regex_full_match', 'pii_guard')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regex_full_match(expression, pattern) -%}{{ pii_guard.unsupported_adapter('regex_full_match') }}{%- endmacro %}
{% macro duckdb__regex_full_match(expression, pattern) -%}regexp_full_match({{ expression }}, '{{ pattern }}'){%- endmacro %}
{% macro postgres__regex_full_match(expression, pattern) -%}({{ expression }} ~ '^(?:{{ pattern }})$'){%- endmacro %}
{% macro spark__regex_full_match(expression, pattern) -%}({{ expression }} rlike r'^(?:{{ pattern }})$'){%- endmacro %}

{#- True when the pattern matches anywhere in the text. -#}
{% macro regex_contains(expression, pattern) -%}
  {{ return(adapter.dispatch('regex_contains', 'pii_guard')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regex_contains(expression, pattern) -%}{{ pii_guard.unsupported_adapter('regex_contains') }}{%- endmacro %}
{% macro duckdb__regex_contains(expression, pattern) -%}regexp_matches({{ expression }}, '{{ pattern }}'){%- endmacro %}
{% macro postgres__regex_contains(expression, pattern) -%}({{ expression }} ~ '{{ pattern }}'){%- endmacro %}
{% macro spark__regex_contains(expression, pattern) -%}({{ expression }} rlike r'{{ pattern }}'){%- endmacro %}

{#- Group `group` of the first match, NULL when there is none (or it is empty). -#}
{% macro regex_group(expression, pattern, group) -%}
  {{ return(adapter.dispatch('regex_group', 'pii_guard')(expression, pattern, group)) }}
{%- endmacro %}
{% macro default__regex_group(expression, pattern, group) -%}{{ pii_guard.unsupported_adapter('regex_group') }}{%- endmacro %}
{% macro duckdb__regex_group(expression, pattern, group) -%}nullif(regexp_extract({{ expression }}, '{{ pattern }}', {{ group }}), ''){%- endmacro %}
{% macro postgres__regex_group(expression, pattern, group) -%}(regexp_match({{ expression }}, '{{ pattern }}'))[{{ group }}]{%- endmacro %}
{% macro spark__regex_group(expression, pattern, group) -%}nullif(regexp_extract({{ expression }}, r'{{ pattern }}', {{ group }}), ''){%- endmacro %}

{#- Every match replaced (DuckDB and PostgreSQL replace only the first without 'g'). -#}
{% macro regex_replace_all(expression, pattern, replacement) -%}
  {{ return(adapter.dispatch('regex_replace_all', 'pii_guard')(expression, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regex_replace_all(expression, pattern, replacement) -%}{{ pii_guard.unsupported_adapter('regex_replace_all') }}{%- endmacro %}
{% macro duckdb__regex_replace_all(expression, pattern, replacement) -%}regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g'){%- endmacro %}
{% macro postgres__regex_replace_all(expression, pattern, replacement) -%}{{ pii_guard.duckdb__regex_replace_all(expression, pattern, replacement) }}{%- endmacro %}
{% macro spark__regex_replace_all(expression, pattern, replacement) -%}regexp_replace({{ expression }}, r'{{ pattern }}', '{{ replacement }}'){%- endmacro %}

{#- The text form of any value: 42 gives '42', a date '2000-02-29'. -#}
{% macro as_text(expression) -%}
  {{ return(adapter.dispatch('as_text', 'pii_guard')(expression)) }}
{%- endmacro %}
{% macro default__as_text(expression) -%}{{ pii_guard.unsupported_adapter('as_text') }}{%- endmacro %}
{% macro duckdb__as_text(expression) -%}cast({{ expression }} as varchar){%- endmacro %}
{% macro postgres__as_text(expression) -%}cast({{ expression }} as varchar){%- endmacro %}
{#- Spark accepts varchar only with a length, in table schemas. -#}
{% macro spark__as_text(expression) -%}cast({{ expression }} as string){%- endmacro %}

{#- UTF-8 byte length of a text expression. -#}
{% macro byte_length(expression) -%}
  {{ return(adapter.dispatch('byte_length', 'pii_guard')(expression)) }}
{%- endmacro %}
{% macro default__byte_length(expression) -%}{{ pii_guard.unsupported_adapter('byte_length') }}{%- endmacro %}
{% macro duckdb__byte_length(expression) -%}strlen({{ expression }}){%- endmacro %}
{% macro postgres__byte_length(expression) -%}octet_length({{ expression }}){%- endmacro %}
{% macro spark__byte_length(expression) -%}octet_length({{ expression }}){%- endmacro %}

{#- The integer value of 8 hex digits. -#}
{% macro hex8_to_bigint(expression) -%}
  {{ return(adapter.dispatch('hex8_to_bigint', 'pii_guard')(expression)) }}
{%- endmacro %}
{% macro default__hex8_to_bigint(expression) -%}{{ pii_guard.unsupported_adapter('hex8_to_bigint') }}{%- endmacro %}
{% macro duckdb__hex8_to_bigint(expression) -%}('0x' || {{ expression }})::bigint{%- endmacro %}
{% macro postgres__hex8_to_bigint(expression) -%}('x' || {{ expression }})::bit(32)::bigint{%- endmacro %}
{% macro spark__hex8_to_bigint(expression) -%}cast(conv({{ expression }}, 16, 10) as bigint){%- endmacro %}
