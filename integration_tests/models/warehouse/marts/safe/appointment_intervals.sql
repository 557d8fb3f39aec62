-- Days between a patient's consecutive appointments, from shifted dates.
select
    customer_key,
    appointment_id,
    {{ dbt.datediff(
        'lag(appointment_date_shifted) over (partition by customer_key order by appointment_date_shifted)',
        'appointment_date_shifted', 'day') }} as days_since_previous
from {{ ref('stg_appointments') }}
