select case_name, zip, expected, expected_2,
    {{ pii_guard.generalize_zip('zip') }} as actual,
    {{ pii_guard.generalize_zip('zip', digits=2) }} as actual_2
from (values
    ('5-digit',                  '10001',      '100',  '10'),
    ('leading zero kept',        '02139',      '021',  '02'),
    ('ZIP+4 with hyphen',        '02140-1234', '021',  '02'),
    ('ZIP+4 without hyphen',     '981013301',  '981',  '98'),
    ('surrounding spaces',       ' 33139 ',    '331',  '33'),
    ('restricted 036',           '03601',      '000',  '03'),
    ('restricted 059',           '05901',      '000',  '05'),
    ('restricted 823 ZIP+4',     '82314-0001', '000',  '82'),
    ('restricted 893',           '89301',      '000',  '89'),
    ('neighbour 037 not restricted', '03755',  '037',  '03'),
    ('lost leading zero',        '2139',       null,   null),
    ('letters',                  'ABCDE',      null,   null),
    ('too long',                 '021391',     null,   null),
    ('bad plus4',                '02139-12',   null,   null),
    ('canadian',                 'K1A 0B1',    null,   null),
    ('empty',                    '',           null,   null),
    ('null',                     null,         null,   null)
) as cases (case_name, zip, expected, expected_2)
