-- pytest checks each shift against Python's hmac, that it is constant per
-- subject and inside [-max_days, max_days].
select case_name, subject_id, value,
    {{ pii_guard.shift_date('value', 'subject_id') }} as shifted,
    {{ pii_guard.shift_date('value', 'subject_id', max_days=1) }} as shifted_1,
    {{ pii_guard.shift_date('value', 'subject_id', max_days=3650) }} as shifted_3650
from (values
    ('p1 first',   'patient-1', date '2023-01-10'),
    ('p1 second',  'patient-1', date '2023-04-10'),
    ('p1 leap',    'patient-1', date '2024-02-29'),
    ('p2 first',   'patient-2', date '2023-02-28'),
    ('p2 second',  'patient-2', date '2023-03-01'),
    ('p3',         'patient-3', date '1999-12-31'),
    ('p4',         'patient-4', date '2020-06-01'),
    ('p5',         'patient-5', date '2020-06-01'),
    ('null date',  'patient-1', null),
    ('null subject', null,      date '2023-01-10')
) as cases (case_name, subject_id, value)
