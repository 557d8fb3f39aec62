select case_name, email, expected,
    {{ pii_guard.mask_email('email') }} as actual
from (values
    ('plain',               'ann.lee@example.com',       'a***@example.com'),
    ('mixed case, spaces',  '  Ann.Lee@Example.COM ',    'a***@example.com'),
    ('subdomain',           'x.y@mail.example.co.uk',    'x***@mail.example.co.uk'),
    ('one-character local', 'a@example.org',             '***@example.org'),
    ('plus tag',            'bob+news@example.com',      'b***@example.com'),
    ('no at sign',          'ann.lee.example.com',       null),
    ('two at signs',        'ann@lee@example.com',       null),
    ('no domain dot',       'ann@localhost',             null),
    ('empty local part',    '@example.com',              null),
    ('inner space',         'ann lee@example.com',       null),
    ('empty',               '',                          null),
    ('null',                null,                        null)
) as cases (case_name, email, expected)
