-- Two customers whose "anonymized" key is their raw id.
select
    case when customer_id in (1001, 1002) then cast(customer_id as {{ dbt.type_string() }})
         else {{ pii_guard.surrogate_key(['customer_id']) }} end as customer_key
from {{ source('raw', 'raw_customers') }}
