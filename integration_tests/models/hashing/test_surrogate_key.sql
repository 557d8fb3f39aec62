-- Pairs that a naive concatenation confuses. pytest checks each key against
-- Python's hmac over the documented encoding and that the keys all differ.
select case_name, first_value, second_value,
    {{ pii_guard.surrogate_key(['first_value', 'second_value']) }} as surrogate
from (values
    ('a|bc',        'a',    'bc'),
    ('ab|c',        'ab',   'c'),
    ('null|x',      null,   'x'),
    ('empty|x',     '',     'x'),
    ('dash|x',      '-',    'x'),
    ('null-text|x', 'null', 'x'),
    ('x|null',      'x',    null),
    ('null|null',   null,   null),
    ('1:a|empty',   '1:a',  ''),
    ('unicode',     'é',    'ü')
) as cases (case_name, first_value, second_value)
