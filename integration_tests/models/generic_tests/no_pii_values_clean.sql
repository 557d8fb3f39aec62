-- Near misses that must not trip a detector.
select * from (values
    ('order 1234-5678 shipped'),
    ('release 1.2.3 and build 10.0.0'),
    ('card ending 4111 1111 1111 1112 declined'),  -- fails the Luhn check
    ('ticket 000-12-3456'),                        -- impossible SSN (area 000)
    ('ref 666-12-3456 and 912-34-5678'),           -- impossible SSNs (666, 9xx)
    ('host 999.12.1.1 and 256.1.1.1'),             -- octets over 255
    ('visited on 2024-06-15 at 10:30'),
    ('write to ann at example dot com'),
    ('amount 1234567.89'),
    (null)
) as notes (note)
