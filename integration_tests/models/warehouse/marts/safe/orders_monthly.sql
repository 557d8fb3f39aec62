select
    order_month,
    ship_state,
    count(*) as orders,
    count(distinct customer_key) as customers,
    sum(amount) as revenue
from {{ ref('stg_orders') }}
group by 1, 2
