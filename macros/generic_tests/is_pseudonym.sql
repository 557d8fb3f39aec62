{#- Fails with one row per non-NULL value that is not 64 lowercase hex
    characters, the shape of hash_pii and surrogate_key output: catches a
    column that was never hashed, or hashed with md5 (32 characters).
    Columns: row_key (the key_column's value, else the row's number when the
    model is ordered by the column), detected ('not_a_pseudonym') and
    masked_value (first character and length, never the raw text). -#}
{% test is_pseudonym(model, column_name, key_column=none) %}
  {%- set row_key = pii_guard.row_key('is_pseudonym', key_column, column_name) -%}
  {{ return(adapter.dispatch('test_is_pseudonym', 'pii_guard')(model, column_name, row_key)) }}
{% endtest %}

{% macro default__test_is_pseudonym(model, column_name, row_key) %}
  {{ pii_guard.unsupported_adapter('is_pseudonym') }}
{% endmacro %}

{% macro postgres__test_is_pseudonym(model, column_name, row_key) %}
  {{ pii_guard.duckdb__test_is_pseudonym(model, column_name, row_key) }}
{% endmacro %}

{% macro spark__test_is_pseudonym(model, column_name, row_key) %}
  {{ pii_guard.duckdb__test_is_pseudonym(model, column_name, row_key) }}
{% endmacro %}

{% macro duckdb__test_is_pseudonym(model, column_name, row_key) %}
select row_key, 'not_a_pseudonym' as detected, {{ pii_guard.masked_value('value') }} as masked_value
from (select {{ row_key }} as row_key, {{ pii_guard.as_text(column_name) }} as value from {{ model }}) as source
where value is not null
  and not {{ pii_guard.regex_full_match('value', '[0-9a-f]{64}') }}
{% endmacro %}
