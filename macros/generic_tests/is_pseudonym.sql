{#- Fails with one row per non-NULL value that is not 64 lowercase hex
    characters, the shape of hash_pii and surrogate_key output: catches a
    column that was never hashed, or hashed with md5 (32 characters). -#}
{% test is_pseudonym(model, column_name) %}
  {{ return(adapter.dispatch('test_is_pseudonym', 'pii_guard')(model, column_name)) }}
{% endtest %}

{% macro default__test_is_pseudonym(model, column_name) %}
  {{ pii_guard.unsupported_adapter('is_pseudonym') }}
{% endmacro %}

{% macro postgres__test_is_pseudonym(model, column_name) %}
  {{ pii_guard.duckdb__test_is_pseudonym(model, column_name) }}
{% endmacro %}

{% macro spark__test_is_pseudonym(model, column_name) %}
  {{ pii_guard.duckdb__test_is_pseudonym(model, column_name) }}
{% endmacro %}

{% macro duckdb__test_is_pseudonym(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not {{ pii_guard.regex_full_match(pii_guard.as_text(column_name), '[0-9a-f]{64}') }}
{% endmacro %}
