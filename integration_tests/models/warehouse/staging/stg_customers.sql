-- Every PII column leaves staging protected: hashed for joins and counts,
-- generalized for analysis, masked for support screens.
select
    {{ pii_guard.surrogate_key(['customer_id']) }} as customer_key,
    {{ pii_guard.hash_pii('email', normalize='email') }} as email_hash,
    {{ pii_guard.hash_pii('phone', normalize='phone') }} as phone_hash,
    {{ pii_guard.mask_email('email') }} as email_masked,
    {{ pii_guard.mask_phone('phone') }} as phone_masked,
    {{ pii_guard.age_bucket('birth_date', as_of="date '" ~ var('as_of_date') ~ "'") }} as age_band,
    {{ pii_guard.generalize_zip('zip') }} as zip3,
    {{ pii_guard.state_from_address('street_address') }} as state,
    {{ pii_guard.redact('ssn') }} as ssn,
    {{ pii_guard.generalize_date('signup_date', grain='month') }} as signup_month
from {{ source('raw', 'raw_customers') }}
