-- Known-answer inputs for hash_pii. The expected pseudonyms are computed in
-- pytest with Python's hmac module and the build's key (the key is never in
-- SQL, so it cannot be here): scripts/tests/test_integration.py.
select case_name, value,
    {{ pii_guard.hash_pii('value') }} as hashed,
    {{ pii_guard.hash_pii('value', normalize='email') }} as hashed_email,
    {{ pii_guard.hash_pii('value', normalize='phone') }} as hashed_phone,
    {{ pii_guard.hash_pii('value', normalize='text') }} as hashed_text
from (values
    ('ascii',            'ann.lee@example.com'),
    ('mixed case email', '  Ann.Lee@Example.COM '),
    ('phone',            '+1 (617) 555-0123'),
    ('latin accents',    'Zoë Bruno Díaz'),
    ('cjk',              '東京都'),
    ('emoji',            '🙂 ok'),
    ('longer than block', 'a-value-that-is-longer-than-the-sixty-four-byte-sha256-block-size-of-hmac'),
    ('empty string',     ''),
    ('blank',            '   '),
    ('null',             null)
) as cases (case_name, value)
