{#- Fails with one row per quasi-identifier group holding fewer than l distinct
    values of the sensitive column (distinct l-diversity; NULLs are not
    counted as a value): in such a group, knowing someone's quasi-identifiers
    tells you their sensitive value. Columns: group_key (the group's number
    among all groups ordered by the quasi-identifiers, NULLs last), each
    quasi-identifier masked (first character and length, never the raw
    value), distinct_sensitive_values and group_size.

      - pii_guard.l_diversity:
          arguments: {quasi_identifiers: [age_band, zip3], sensitive_column: diagnosis, l: 2} -#}
{% test l_diversity(model, quasi_identifiers, sensitive_column, l=2) %}
  {{ pii_guard.require_column_list('l_diversity', 'quasi_identifiers', quasi_identifiers) }}
  {{ pii_guard.require_whole_number('l_diversity', 'l', l, 2) }}
  {{ pii_guard.require_expression('l_diversity', 'sensitive_column', sensitive_column) }}
  {{ return(adapter.dispatch('test_l_diversity', 'pii_guard')(model, quasi_identifiers, sensitive_column, l)) }}
{% endtest %}

{% macro default__test_l_diversity(model, quasi_identifiers, sensitive_column, l) %}
select group_key,
    {%- for column in quasi_identifiers %}
    {{ pii_guard.masked_value('groups.' ~ column) }} as {{ column }},
    {%- endfor %}
    distinct_sensitive_values, group_size
from (
    select {{ quasi_identifiers | join(', ') }},
        count(distinct {{ sensitive_column }}) as distinct_sensitive_values,
        count(*) as group_size,
        row_number() over (order by {{ quasi_identifiers | join(' nulls last, ') }} nulls last) as group_key
    from {{ model }}
    group by {{ quasi_identifiers | join(', ') }}
) as groups
where distinct_sensitive_values < {{ l }}
{% endmacro %}
