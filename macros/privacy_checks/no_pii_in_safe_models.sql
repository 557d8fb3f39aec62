{#- The rows of the no_pii_in_safe_models test: one per finding of
    find_pii_in_safe_models, logged too so accepted ones are seen. -#}
{% macro no_pii_in_safe_models() -%}
  {%- set findings = pii_guard.find_pii_in_safe_models() if execute else [] -%}
  {%- for finding in findings -%}
    {%- do log('pii_guard: ' ~ finding.status ~ ': ' ~ finding.model ~ (('.' ~ finding.column_name) if finding.column_name else '')
          ~ ': ' ~ finding.reason ~ ((' (' ~ finding.note ~ ')') if finding.note else ''), info=true) -%}
  {%- endfor -%}
  {{ pii_guard.rows_as_sql(['model', 'column_name', 'pii_source', 'pii_column', 'reason', 'status', 'note'], findings) }}
{%- endmacro %}
