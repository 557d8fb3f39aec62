-- Two groups with fewer than 2 distinct diagnoses: everyone in ('36-50', '331')
-- has flu; ('51-64', '981') has one diagnosis and a NULL.
select * from (values
    ('18-25', '021', 'asthma'), ('18-25', '021', 'flu'),
    ('36-50', '331', 'flu'),    ('36-50', '331', 'flu'),    ('36-50', '331', 'flu'),
    ('51-64', '981', 'diabetes'), ('51-64', '981', null)
) as visits (age_band, zip3, diagnosis)
