select
    customers.customer_key,
    customers.age_band,
    customers.state,
    customers.zip3,
    count(orders.order_id) as order_count,
    coalesce(sum(orders.amount), 0) as revenue
from {{ ref('stg_customers') }} as customers
left join {{ ref('stg_orders') }} as orders
    on orders.customer_key = customers.customer_key
group by 1, 2, 3, 4
