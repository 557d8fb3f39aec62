-- Orders and customers pseudonymized separately (same key, same range) still
-- join: pytest checks that the join on pseudonyms pairs each order with its
-- customer exactly as the raw ids do, and each pseudonym against the Python
-- reference. No raw id leaves the model. Not on the dev target: its expected
-- values are the raw seed ids, which the protected copy does not hold.
{{ config(enabled=target.name != 'dev') }}
with orders as (
    select order_id,
        {{ pii_guard.pseudonymize_int('customer_id', min_value=1, max_value=99999) }} as customer_pseudonym
    from {{ source('raw', 'raw_orders') }}
),
customers as (
    select {{ pii_guard.pseudonymize_int('customer_id', min_value=1, max_value=99999) }} as customer_pseudonym
    from {{ source('raw', 'raw_customers') }}
)
select orders.order_id, orders.customer_pseudonym, customers.customer_pseudonym as joined_pseudonym
from orders left join customers on orders.customer_pseudonym = customers.customer_pseudonym
