-- pytest recomputes every pseudonym with the independent Python reference
-- (integration_tests/vectors/generate.py) and the build's key; NULL stays NULL
-- and the output is a bigint.
select case_name, value,
    {{ pii_guard.pseudonymize_int('value', min_value=1, max_value=1000) }} as pseudonym,
    {{ pii_guard.pseudonymize_int('value', min_value=-5, max_value=5) }} as pseudonym_small,
    {{ pii_guard.pseudonymize_int('value') }} as pseudonym_default
from (values
    ('low end',  1),
    ('middle',   2),
    ('high end', 5),
    ('null',     null)
) as cases (case_name, value)
