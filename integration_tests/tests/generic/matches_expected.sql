{#- Fails with one row per case whose actual output differs from the expected
    one (NULLs compare equal). -#}
{% test matches_expected(model, actual='actual', expected='expected') %}
select *
from {{ model }}
where {{ actual }} is distinct from {{ expected }}
{% endtest %}
