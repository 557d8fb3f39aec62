-- Seven rows with PII among the near misses of no_pii_values_clean.
select * from (values
    ('please email Ann.Lee@Example.com'),            -- email
    ('call 617-555-0123 after 5'),                   -- phone
    ('uk office +44 20 7946 0958'),                  -- phone (international)
    ('ssn 123-45-6789 on file'),                     -- ssn
    ('paid with 4111 1111 1111 1111'),               -- credit_card (Luhn-valid)
    ('login from 203.0.113.7'),                      -- ipv4
    ('bob@example.org / (212) 555-0147'),            -- email and phone
    ('order 1234-5678 shipped'),
    ('card ending 4111 1111 1111 1112 declined'),
    ('ticket 000-12-3456'),
    ('release 1.2.3 and build 10.0.0'),
    (null)
) as notes (note)
