{#- Fails with one row (model_rows, compare_rows) when the model and
    compare_model hold different numbers of rows: an anonymized copy that lost
    or duplicated rows on the way. -#}
{% test row_count_matches(model, compare_model) %}
  {{ return(adapter.dispatch('test_row_count_matches', 'pii_guard')(model, compare_model)) }}
{% endtest %}

{% macro default__test_row_count_matches(model, compare_model) %}
select model_rows, compare_rows
from (select count(*) as model_rows from {{ model }}) as counted
cross join (select count(*) as compare_rows from {{ compare_model }}) as compared
where model_rows <> compare_rows
{% endmacro %}
