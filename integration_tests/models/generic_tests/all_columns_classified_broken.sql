-- Three unclassified columns: one declared without pii, two not declared.
select 1 as order_id, 'MA' as state, 'x' as notes, 2 as new_upstream_column, 3 as another_new_column
