-- Non-text values are hashed as their text form.
select
    {{ pii_guard.hash_pii('int_value') }} as hashed_int,
    {{ pii_guard.hash_pii('date_value') }} as hashed_date
from (values (42, date '2000-02-29')) as cases (int_value, date_value)
