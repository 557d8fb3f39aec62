-- Three values that are not pseudonyms: an md5 (32 characters), an upper-case
-- SHA-256 and a raw email. NULL is allowed.
select * from (values
    ('{{ "a" * 64 }}'),
    ('5d41402abc4b2a76b9719d911017c592'),
    ('{{ "A" * 64 }}'),
    ('ann.lee@example.com'),
    (null)
) as keys (customer_key)
