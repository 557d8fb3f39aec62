select
    order_id,
    {{ pii_guard.surrogate_key(['customer_id']) }} as customer_key,
    {{ pii_guard.hash_pii('customer_email', normalize='email') }} as email_hash,
    {{ pii_guard.generalize_date('order_date', grain='month') }} as order_month,
    amount,
    {{ pii_guard.state_from_address('shipping_address') }} as ship_state
from {{ source('raw', 'raw_orders') }}
