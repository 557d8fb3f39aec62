select
    event_id,
    {{ pii_guard.surrogate_key(['customer_id']) }} as customer_key,
    event_type,
    {{ pii_guard.generalize_date('occurred_at', grain='month') }} as event_month,
    {{ pii_guard.redact('ip_address') }} as ip_address
from {{ source('raw', 'raw_events') }}
