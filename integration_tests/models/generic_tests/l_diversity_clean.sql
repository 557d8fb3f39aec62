select * from (values
    ('18-25', '021', 'asthma'), ('18-25', '021', 'flu'),
    ('26-35', '100', 'flu'),    ('26-35', '100', 'diabetes'), ('26-35', '100', 'flu')
) as visits (age_band, zip3, diagnosis)
