-- Orders hashed without normalize='email': the one order whose email is
-- spelled differently no longer joins its customer.
select order_id, {{ pii_guard.hash_pii('customer_email') }} as email_hash
from {{ source('raw', 'raw_orders') }}
