{#- Fails with one row per combination of quasi-identifier values shared by
    fewer than k rows (NULL counts as a value): the groups in which a person
    stands out. Columns: the quasi-identifiers and group_size.

      - pii_guard.k_anonymity:
          arguments: {quasi_identifiers: [age_band, zip3, gender], k: 5} -#}
{% test k_anonymity(model, quasi_identifiers, k=5) %}
  {{ pii_guard.require_column_list('k_anonymity', 'quasi_identifiers', quasi_identifiers) }}
  {{ pii_guard.require_whole_number('k_anonymity', 'k', k, 2) }}
  {{ return(adapter.dispatch('test_k_anonymity', 'pii_guard')(model, quasi_identifiers, k)) }}
{% endtest %}

{% macro default__test_k_anonymity(model, quasi_identifiers, k) %}
select {{ quasi_identifiers | join(', ') }}, count(*) as group_size
from {{ model }}
group by {{ quasi_identifiers | join(', ') }}
having count(*) < {{ k }}
{% endmacro %}
