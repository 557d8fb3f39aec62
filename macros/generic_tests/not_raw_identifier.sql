{#- Fails with one row per value equal (as text) to a raw value of
    source_relation.source_column: an "anonymized" key that is in fact the
    customer id, or a hash column filled with the raw email. Columns: row_key
    (the key_column's value, else the row's number when the model is ordered
    by the column), detected ('raw_identifier') and masked_value (first
    character and length, never the raw text).

      - pii_guard.not_raw_identifier:
          arguments:
            source_relation: source('crm', 'customers')
            source_column: customer_id -#}
{% test not_raw_identifier(model, column_name, source_relation, source_column, key_column=none) %}
  {{ pii_guard.require_expression('not_raw_identifier', 'source_column', source_column) }}
  {%- set row_key = pii_guard.row_key('not_raw_identifier', key_column, column_name) -%}
  {{ return(adapter.dispatch('test_not_raw_identifier', 'pii_guard')(model, column_name, source_relation, source_column, row_key)) }}
{% endtest %}

{% macro default__test_not_raw_identifier(model, column_name, source_relation, source_column, row_key) %}
select anonymized.row_key, 'raw_identifier' as detected, {{ pii_guard.masked_value('anonymized.value') }} as masked_value
from (select {{ row_key }} as row_key, {{ column_name }} as value from {{ model }}) as anonymized
where cast(anonymized.value as {{ dbt.type_string() }}) in (
    select cast(raw.{{ source_column }} as {{ dbt.type_string() }})
    from {{ source_relation }} as raw
    where raw.{{ source_column }} is not null
)
{% endmacro %}
