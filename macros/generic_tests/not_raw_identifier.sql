{#- Fails with one row per value equal (as text) to a raw value of
    source_relation.source_column: an "anonymized" key that is in fact the
    customer id, or a hash column filled with the raw email.

      - pii_guard.not_raw_identifier:
          arguments:
            source_relation: source('crm', 'customers')
            source_column: customer_id -#}
{% test not_raw_identifier(model, column_name, source_relation, source_column) %}
  {{ return(adapter.dispatch('test_not_raw_identifier', 'pii_guard')(model, column_name, source_relation, source_column)) }}
{% endtest %}

{% macro default__test_not_raw_identifier(model, column_name, source_relation, source_column) %}
select anonymized.{{ column_name }}
from {{ model }} as anonymized
where cast(anonymized.{{ column_name }} as {{ dbt.type_string() }}) in (
    select cast(raw.{{ source_column }} as {{ dbt.type_string() }})
    from {{ source_relation }} as raw
    where raw.{{ source_column }} is not null
)
{% endmacro %}
