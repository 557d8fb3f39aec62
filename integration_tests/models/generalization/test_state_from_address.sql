select case_name, address, expected,
    {{ pii_guard.state_from_address('address') }} as actual
from (values
    ('city, state zip',        '1 Main St, Boston, MA 02139',          'MA'),
    ('ZIP+4',                  '22 Elm Ave, Cambridge, MA 02140-1234', 'MA'),
    ('lower case, no commas',  'po box 7 juneau ak 99801',             'AK'),
    ('comma before zip',       '9 Broadway, New York, NY, 10001',      'NY'),
    ('trailing spaces',        '77 Ocean Dr, Miami, FL 33139   ',      'FL'),
    ('territory',              '1 Calle Sol, San Juan, PR 00901',      'PR'),
    ('not a state code',       '5 High St, Springfield, ZZ 12345',     null),
    ('no zip',                 '1 Main St, Boston, MA',                null),
    ('zip not at end',         'MA 02139, 1 Main St',                  null),
    ('4-digit zip',            '1 Main St, Boston, MA 2139',           null),
    ('word ending in 2 letters', '1 Main Street 02139',                null),
    ('unknown',                'unknown',                              null),
    ('null',                   null,                                   null)
) as cases (case_name, address, expected)
