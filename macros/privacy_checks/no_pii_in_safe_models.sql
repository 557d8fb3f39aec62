{#- The rows of the no_pii_in_safe_models test: one per finding of
    find_pii_in_safe_models, logged too so accepted ones are seen. -#}
{% macro no_pii_in_safe_models() -%}
  {%- set columns = ['model', 'column_name', 'pii_source', 'pii_column', 'reason', 'status', 'note'] -%}
  {%- set findings = pii_guard.find_pii_in_safe_models() if execute else [] -%}
  {%- for finding in findings -%}
    {%- do log('pii_guard: ' ~ finding.status ~ ': ' ~ finding.model ~ (('.' ~ finding.column_name) if finding.column_name else '')
          ~ ': ' ~ finding.reason ~ ((' (' ~ finding.note ~ ')') if finding.note else ''), info=true) -%}
  {%- endfor -%}
  {%- for finding in findings %}
select
  {%- for column in columns %}
    {% if finding[column] is none %}cast(null as {{ dbt.type_string() }}){% else %}cast('{{ finding[column] | string | replace("'", "''") }}' as {{ dbt.type_string() }}){% endif %} as {{ column }}{{ ',' if not loop.last }}
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
