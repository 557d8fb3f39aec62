{#- Fails with one row per quasi-identifier group holding fewer than l distinct
    values of the sensitive column (distinct l-diversity; NULLs are not
    counted as a value): in such a group, knowing someone's quasi-identifiers
    tells you their sensitive value. Columns: the quasi-identifiers,
    distinct_sensitive_values and group_size.

      - pii_guard.l_diversity:
          arguments: {quasi_identifiers: [age_band, zip3], sensitive_column: diagnosis, l: 2} -#}
{% test l_diversity(model, quasi_identifiers, sensitive_column, l=2) %}
  {{ pii_guard.require_column_list('l_diversity', 'quasi_identifiers', quasi_identifiers) }}
  {{ pii_guard.require_whole_number('l_diversity', 'l', l, 2) }}
  {{ return(adapter.dispatch('test_l_diversity', 'pii_guard')(model, quasi_identifiers, sensitive_column, l)) }}
{% endtest %}

{% macro default__test_l_diversity(model, quasi_identifiers, sensitive_column, l) %}
select {{ quasi_identifiers | join(', ') }},
    count(distinct {{ sensitive_column }}) as distinct_sensitive_values,
    count(*) as group_size
from {{ model }}
group by {{ quasi_identifiers | join(', ') }}
having count(distinct {{ sensitive_column }}) < {{ l }}
{% endmacro %}
