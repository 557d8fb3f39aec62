{#- The rows of the no_pii_in_safe_models test: one per finding of
    find_pii_in_safe_models, logged too so accepted ones are seen; and a
    warning per declaration_warnings (untiered models in safe folders, PII
    but no safe model), which does not fail the test. -#}
{% macro no_pii_in_safe_models() -%}
  {%- set findings = pii_guard.find_pii_in_safe_models() if execute else [] -%}
  {%- if execute -%}
    {%- set nodes = {} -%}
    {%- for uid, node in graph.nodes.items() if node.resource_type in ['model', 'snapshot', 'seed'] -%}
      {%- do nodes.update({uid: node}) -%}
    {%- endfor -%}
    {%- do nodes.update(graph.sources) -%}
    {%- for warning in pii_guard.declaration_warnings(nodes) -%}
      {%- do exceptions.warn('pii_guard: ' ~ warning) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- for finding in findings -%}
    {%- do log('pii_guard: ' ~ finding.status ~ ': ' ~ finding.model ~ (('.' ~ finding.column_name) if finding.column_name else '')
          ~ ': ' ~ finding.reason ~ ((' (' ~ finding.note ~ ')') if finding.note else ''), info=true) -%}
  {%- endfor -%}
  {{ pii_guard.rows_as_sql(['model', 'column_name', 'pii_source', 'pii_column', 'reason', 'status', 'note'], findings) }}
{%- endmacro %}
