{#- Fails with one row per non-NULL key in the model that finds no match in
    to.field: after pseudonymising both sides with the same key, foreign keys
    must still join. Meant for the anonymized copy before it is published.
    Columns: row_key (the key_column's value, else the row's number when the
    model is ordered by the column), detected ('unmatched_key') and
    masked_value (first character and length, never the key itself). -#}
{% test keys_preserved(model, column_name, to, field, key_column=none) %}
  {{ pii_guard.require_expression('keys_preserved', 'field', field) }}
  {%- set row_key = pii_guard.row_key('keys_preserved', key_column, column_name) -%}
  {{ return(adapter.dispatch('test_keys_preserved', 'pii_guard')(model, column_name, to, field, row_key)) }}
{% endtest %}

{% macro default__test_keys_preserved(model, column_name, to, field, row_key) %}
select child.row_key, 'unmatched_key' as detected, {{ pii_guard.masked_value('child.value') }} as masked_value
from (select {{ row_key }} as row_key, {{ column_name }} as value from {{ model }}) as child
left join {{ to }} as parent
    on child.value = parent.{{ field }}
where child.value is not null
  and parent.{{ field }} is null
{% endmacro %}
