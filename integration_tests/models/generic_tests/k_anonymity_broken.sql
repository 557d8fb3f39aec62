-- Three groups below k=3: ('90+', '000') alone, ('26-35', '021') twice,
-- (NULL, '021') alone. NULL is a value like any other.
select * from (values
    ('18-25', '021'), ('18-25', '021'), ('18-25', '021'),
    ('26-35', '100'), ('26-35', '100'), ('26-35', '100'),
    ('90+',   '000'),
    ('26-35', '021'), ('26-35', '021'),
    (null,    '021')
) as people (age_band, zip3)
