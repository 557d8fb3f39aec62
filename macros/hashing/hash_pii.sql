{#- Keyed pseudonym: HMAC-SHA256(key, UTF-8 text of the value) as 64 lowercase
    hex characters. Same key + same input = same output, so joins and distinct
    counts survive; without the key the value cannot be recomputed.

    normalize: none (hash the exact text), 'email' or 'text' (trim spaces,
    lowercase; blank gives NULL), 'phone' (digits only; no digits gives NULL).

    {{ pii_guard.hash_pii('email', normalize='email') }} -#}
{% macro hash_pii(column, normalize=none) -%}
  {{ pii_guard.require_expression('hash_pii', 'column', column, "To hash several columns together, use surrogate_key(['a', 'b']).") }}
  {%- if normalize not in [none, 'email', 'phone', 'text'] -%}
    {{ pii_guard.argument_error('hash_pii', "normalize must be none, 'email', 'phone' or 'text'; got " ~ normalize ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('hash_pii', 'pii_guard')(column, normalize)) }}
{%- endmacro %}

{% macro default__hash_pii(column, normalize=none) -%}
  {{ pii_guard.unsupported_adapter('hash_pii') }}
{%- endmacro %}

{#- The same SQL on every engine; they differ inside keyed_hmac_hex, as_text and regex_replace_all. -#}
{% macro postgres__hash_pii(column, normalize=none) -%}
  {{ pii_guard.duckdb__hash_pii(column, normalize) }}
{%- endmacro %}

{% macro spark__hash_pii(column, normalize=none) -%}
  {{ pii_guard.duckdb__hash_pii(column, normalize) }}
{%- endmacro %}

{% macro duckdb__hash_pii(column, normalize=none) -%}
  {%- set text = pii_guard.as_text(column) -%}
  {%- if normalize in ['email', 'text'] -%}
    {%- set text = "nullif(lower(trim(" ~ text ~ ")), '')" -%}
  {%- elif normalize == 'phone' -%}
    {%- set text = "nullif(" ~ pii_guard.regex_replace_all(text, '[^0-9]', '') ~ ", '')" -%}
  {%- endif -%}
  {{ pii_guard.keyed_hmac_hex(text, 'hash_pii') }}
{%- endmacro %}
