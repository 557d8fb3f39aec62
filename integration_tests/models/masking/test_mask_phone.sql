select case_name, phone, expected, expected_keep_2, expected_keep_0,
    {{ pii_guard.mask_phone('phone') }} as actual,
    {{ pii_guard.mask_phone('phone', keep_last=2) }} as actual_keep_2,
    {{ pii_guard.mask_phone('phone', keep_last=0) }} as actual_keep_0
from (values
    ('US formatted',     '+1 (617) 555-0123', '*******0123', '*********23', '***********'),
    ('dots',             '617.555.0199',      '******0199',  '********99',  '**********'),
    ('international',    '+44 20 7946 0958',  '********0958', '**********58', '************'),
    ('seven digits',     '555-0100',          '***0100',     '*****00',     '*******'),
    ('six digits',       '555-010',           null,          null,          null),
    ('no digits',        'n/a',               null,          null,          null),
    ('empty',            '',                  null,          null,          null),
    ('null',             null,                null,          null,          null)
) as cases (case_name, phone, expected, expected_keep_2, expected_keep_0)
