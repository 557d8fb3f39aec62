-- For analysts and mesh consumers: no direct identifiers, generalized
-- quasi-identifiers.
select
    age_band,
    state,
    count(*) as customers,
    sum(order_count) as orders,
    sum(revenue) as revenue
from {{ ref('int_customer_orders') }}
group by 1, 2
