{#- Fails with one row per combination of quasi-identifier values shared by
    fewer than k rows (NULL counts as a value): the groups in which a person
    stands out. Columns: group_key (the group's number among all groups
    ordered by the quasi-identifiers, NULLs last), each quasi-identifier
    masked (first character and length, never the raw value) and group_size.

      - pii_guard.k_anonymity:
          arguments: {quasi_identifiers: [age_band, zip3, gender], k: 5} -#}
{% test k_anonymity(model, quasi_identifiers, k=5) %}
  {{ pii_guard.require_column_list('k_anonymity', 'quasi_identifiers', quasi_identifiers) }}
  {{ pii_guard.require_whole_number('k_anonymity', 'k', k, 2) }}
  {{ return(adapter.dispatch('test_k_anonymity', 'pii_guard')(model, quasi_identifiers, k)) }}
{% endtest %}

{% macro default__test_k_anonymity(model, quasi_identifiers, k) %}
select group_key,
    {%- for column in quasi_identifiers %}
    {{ pii_guard.masked_value('groups.' ~ column) }} as {{ column }},
    {%- endfor %}
    group_size
from (
    select {{ quasi_identifiers | join(', ') }}, count(*) as group_size,
        row_number() over (order by {{ quasi_identifiers | join(' nulls last, ') }} nulls last) as group_key
    from {{ model }}
    group by {{ quasi_identifiers | join(', ') }}
) as groups
where group_size < {{ k }}
{% endmacro %}
