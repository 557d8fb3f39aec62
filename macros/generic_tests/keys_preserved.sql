{#- Fails with one row per non-NULL key in the model that finds no match in
    to.field: after pseudonymising both sides with the same key, foreign keys
    must still join. Meant for the anonymized copy before it is published. -#}
{% test keys_preserved(model, column_name, to, field) %}
  {{ return(adapter.dispatch('test_keys_preserved', 'pii_guard')(model, column_name, to, field)) }}
{% endtest %}

{% macro default__test_keys_preserved(model, column_name, to, field) %}
select child.{{ column_name }}
from {{ model }} as child
left join {{ to }} as parent
    on child.{{ column_name }} = parent.{{ field }}
where child.{{ column_name }} is not null
  and parent.{{ field }} is null
{% endmacro %}
