-- For scripts/tests/test_key_rotation.py: an incremental model that calls
-- hash_pii and appends every customer on every run, stamped with the run. A
-- run under another key would add rows hashed with it; pii_guard's run hooks
-- stop that run instead.
{{ config(materialized='incremental') }}
select
    '{{ invocation_id }}' as loaded_by,
    customer_id,
    {{ pii_guard.hash_pii('email', normalize='email') }} as email_hash
from {{ source('raw', 'raw_customers') }}
