-- A single column name (not a list) is accepted.
select customer_id, {{ pii_guard.surrogate_key('customer_id') }} as surrogate
from (values (1001), (1002)) as cases (customer_id)
