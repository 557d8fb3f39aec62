-- Only for scripts/tests/test_key_errors.py: a keyed macro in a view, which
-- pii_guard refuses on Spark (the view's stored text would hold the key).
{{ config(materialized='view', enabled=var('pii_guard_test_keyed_view', false)) }}
select {{ pii_guard.hash_pii('email') }} as email_hash
from {{ source('raw', 'raw_customers') }}
