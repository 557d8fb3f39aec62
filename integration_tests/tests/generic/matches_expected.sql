{#- Fails with one row per case whose actual output differs from the expected
    one (NULLs compare equal): the case's name and both outputs masked, as
    pii_guard's own tests do, since the cases hold the seeds' emails. -#}
{% test matches_expected(model, actual='actual', expected='expected') %}
select case_name,
    {{ pii_guard.masked_value(actual) }} as actual,
    {{ pii_guard.masked_value(expected) }} as expected
from {{ model }}
where {{ actual }} is distinct from {{ expected }}
{% endtest %}
