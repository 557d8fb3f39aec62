select case_name, value, expected_month, expected_quarter, expected_year,
    {{ pii_guard.generalize_date('value') }} as actual_month,
    {{ pii_guard.generalize_date('value', grain='quarter') }} as actual_quarter,
    {{ pii_guard.generalize_date('value', grain='year') }} as actual_year
from (values
    ('mid month',     timestamp '2024-05-17 00:00:00', date '2024-05-01', date '2024-04-01', date '2024-01-01'),
    ('first of year', timestamp '2024-01-01 00:00:00', date '2024-01-01', date '2024-01-01', date '2024-01-01'),
    ('leap day',      timestamp '2024-02-29 00:00:00', date '2024-02-01', date '2024-01-01', date '2024-01-01'),
    ('last second',   timestamp '2023-12-31 23:59:59', date '2023-12-01', date '2023-10-01', date '2023-01-01'),
    ('null',          null,                            null,              null,              null)
) as cases (case_name, value, expected_month, expected_quarter, expected_year)
