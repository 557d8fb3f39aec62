{#- Keyed surrogate key over one or more columns: the replacement for
    dbt_utils.generate_surrogate_key, whose unkeyed md5 of a customer id is
    reversed by enumerating ids.

    Each value is encoded as '-' when NULL, else '<UTF-8 byte length>:<text>',
    and the HMAC is taken over the concatenation: NULL-safe (NULL and '' and
    'null' differ), delimiter-safe (('a','bc') and ('ab','c') differ), and never
    NULL itself.

    {{ pii_guard.surrogate_key(['customer_id', 'order_date']) }} -#}
{% macro surrogate_key(columns) -%}
  {%- if columns is string -%}
    {%- set columns = [columns] -%}
  {%- endif -%}
  {%- if columns is not iterable or columns is mapping or columns | length == 0 -%}
    {{ pii_guard.argument_error('surrogate_key', "columns must be a column name or a non-empty list of column names; got " ~ columns ~ ".") }}
  {%- endif -%}
  {%- for column in columns -%}
    {{ pii_guard.require_expression('surrogate_key', 'each of columns', column) }}
  {%- endfor -%}
  {{ return(adapter.dispatch('surrogate_key', 'pii_guard')(columns)) }}
{%- endmacro %}

{% macro default__surrogate_key(columns) -%}
  {{ pii_guard.unsupported_adapter('surrogate_key') }}
{%- endmacro %}

{% macro postgres__surrogate_key(columns) -%}
  {{ pii_guard.duckdb__surrogate_key(columns) }}
{%- endmacro %}

{% macro spark__surrogate_key(columns) -%}
  {{ pii_guard.duckdb__surrogate_key(columns) }}
{%- endmacro %}

{% macro duckdb__surrogate_key(columns) -%}
  {%- set fields = [] -%}
  {%- for column in columns -%}
    {%- set text = pii_guard.as_text(column) -%}
    {%- do fields.append("coalesce(" ~ pii_guard.as_text(pii_guard.byte_length(text)) ~ " || ':' || " ~ text ~ ", '-')") -%}
  {%- endfor -%}
  {{ pii_guard.keyed_hmac_hex(fields | join(' || '), 'surrogate_key') }}
{%- endmacro %}
