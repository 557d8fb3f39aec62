select case_name, dob, expected, expected_custom,
    {{ pii_guard.age_bucket('dob', as_of="date '2024-06-30'") }} as actual,
    {{ pii_guard.age_bucket('dob', as_of="date '2024-06-30'", boundaries=[30], top_code=80) }} as actual_custom
from (values
    ('age 0',           date '2024-01-01', 'under 18', 'under 30'),
    ('age 17',          date '2006-07-01', 'under 18', 'under 30'),
    ('age 18',          date '2006-06-30', '18-25',    'under 30'),
    ('age 25',          date '1998-07-01', '18-25',    'under 30'),
    ('age 26',          date '1998-06-30', '26-35',    'under 30'),
    ('age 35',          date '1988-07-01', '26-35',    '30-79'),
    ('age 36',          date '1988-06-30', '36-50',    '30-79'),
    ('age 50',          date '1973-07-01', '36-50',    '30-79'),
    ('age 51',          date '1973-06-30', '51-64',    '30-79'),
    ('age 64',          date '1959-07-01', '51-64',    '30-79'),
    ('age 65',          date '1959-06-30', '65-89',    '30-79'),
    ('age 80',          date '1944-06-30', '65-89',    '80+'),
    ('age 89',          date '1934-07-01', '65-89',    '80+'),
    ('age 90',          date '1934-06-30', '90+',      '80+'),
    ('age 104',         date '1920-01-01', '90+',      '80+'),
    ('leap birth, 17',  date '2007-02-28', 'under 18', 'under 30'),
    ('future birth',    date '2031-01-01', null,       null),
    ('null birth',      null,              null,       null)
) as cases (case_name, dob, expected, expected_custom)
