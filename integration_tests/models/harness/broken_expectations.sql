-- Proves the harness can fail: two of these three cases expect the wrong
-- output, and the test below passes only when exactly those two rows fail.
select case_name, expected, {{ pii_guard.mask_email('email') }} as actual
from (values
    ('right',              'ann.lee@example.com', 'a***@example.com'),
    ('wrong mask',         'ann.lee@example.com', 'ann.lee@example.com'),
    ('NULL is not a mask', 'not-an-email',        'not-an-email')
) as cases (case_name, email, expected)
