-- Keyed, and read by contact_log_from_upstream. A view on DuckDB and
-- PostgreSQL (it computes with the key of whoever reads it); on Spark a keyed
-- view is refused, so a table (rebuilt under the current key every run).
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
select
    customer_id,
    {{ pii_guard.hash_pii('email', normalize='email') }} as email_hash
from {{ source('raw', 'raw_customers') }}
