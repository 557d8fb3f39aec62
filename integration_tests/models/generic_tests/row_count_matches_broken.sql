-- A join fan-out duplicated a customer.
select customer_id from {{ source('raw', 'raw_customers') }}
union all
select customer_id from {{ source('raw', 'raw_customers') }} where customer_id = 1001
