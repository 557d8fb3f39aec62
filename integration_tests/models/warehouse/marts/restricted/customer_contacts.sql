-- For the few cleared to contact customers: raw contact details, keyed by the
-- same customer_key the safe marts use.
select
    {{ pii_guard.surrogate_key(['customer_id']) }} as customer_key,
    first_name,
    last_name,
    email,
    phone
from {{ source('raw', 'raw_customers') }}
