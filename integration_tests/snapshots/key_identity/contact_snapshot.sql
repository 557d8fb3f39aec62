-- For scripts/tests/test_key_rotation.py: a snapshot of pseudonyms. Under a
-- new key every email_hash would look changed and every row would get a new
-- version; pii_guard's run hooks stop that run instead. dbt-spark snapshots
-- need Delta, Hudi or Iceberg tables, which this project's local Spark does
-- not have (Parquet only): disabled on Spark.
{% snapshot contact_snapshot %}
{{ config(unique_key='customer_id', strategy='check', check_cols=['email_hash'],
          enabled=target.type != 'spark') }}
select
    customer_id,
    {{ pii_guard.hash_pii('email', normalize='email') }} as email_hash
from {{ source('raw', 'raw_customers') }}
{% endsnapshot %}
