-- redact keeps each column's type and empties it.
select case_name,
    {{ pii_guard.redact('text_value') }} as redacted_text,
    {{ pii_guard.redact('date_value') }} as redacted_date,
    {{ pii_guard.redact('int_value') }} as redacted_int
from (values
    ('values', '123-45-6789', date '1990-06-15', 42),
    ('nulls',  null,          null,              null)
) as cases (case_name, text_value, date_value, int_value)
