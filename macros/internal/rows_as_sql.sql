{#- A query returning the given rows (dicts) as text columns, or no row at all:
    how the tests computed in Jinja hand their findings to dbt. -#}
{% macro rows_as_sql(columns, rows) -%}
  {%- for row in rows %}
select
  {%- for column in columns %}
    cast({{ 'null' if row[column] is none else "'" ~ (row[column] | string | replace("'", "''")) ~ "'" }} as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
  {%- endfor %}
{{ 'union all' if not loop.last }}
  {%- else %}
select
  {%- for column in columns %}
    cast(null as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
  {%- endfor %}
where 1 = 0
  {%- endfor %}
{%- endmacro %}
