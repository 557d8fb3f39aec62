-- Expected ages are computed by hand: completed years, a 29 February birthday
-- falls on 1 March in common years.
select case_name, dob, as_of, expected,
    {{ pii_guard.age_years('dob', 'as_of') }} as actual
from (values
    ('day before birthday',        date '1990-06-15', date '2024-06-14', 33),
    ('on birthday',                date '1990-06-15', date '2024-06-15', 34),
    ('day after birthday',         date '1990-06-15', date '2024-06-16', 34),
    ('leap birth, 28 Feb common',  date '2000-02-29', date '2001-02-28', 0),
    ('leap birth, 1 Mar common',   date '2000-02-29', date '2001-03-01', 1),
    ('leap birth, 29 Feb leap',    date '2000-02-29', date '2004-02-29', 4),
    ('leap birth, 28 Feb leap',    date '2000-02-29', date '2004-02-28', 3),
    ('born on as_of',              date '2024-06-30', date '2024-06-30', 0),
    ('31 Dec to 1 Jan',            date '1999-12-31', date '2000-01-01', 0),
    ('over 89',                    date '1931-11-02', date '2024-06-30', 92),
    ('future birth date',          date '2031-01-01', date '2024-06-30', null),
    ('null birth date',            null,              date '2024-06-30', null),
    ('null as_of',                 date '1990-06-15', null,              null)
) as cases (case_name, dob, as_of, expected)
