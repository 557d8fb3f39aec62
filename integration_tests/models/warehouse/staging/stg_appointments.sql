-- Dates of service are shifted per patient: intervals between one patient's
-- appointments survive, calendar dates do not.
select
    appointment_id,
    {{ pii_guard.surrogate_key(['customer_id']) }} as customer_key,
    {{ pii_guard.shift_date('appointment_date', 'customer_id', max_days=30) }} as appointment_date_shifted,
    provider_name,
    reason
from {{ source('raw', 'raw_appointments') }}
