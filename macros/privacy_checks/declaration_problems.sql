{#- Every declaration no rule reads, over a dict of manifest nodes (uid ->
    node), as messages naming the node and the column:
      'source.shop.crm.people column email: pii "name" is not one of ...'
      'model.shop.orders: privacy_tier "public" is not safe or restricted' -#}
{% macro declaration_problems(nodes) -%}
  {%- set problems = [] -%}
  {%- for uid, node in nodes.items() -%}
    {%- for key, column in (node.get('columns') or {}).items() -%}
      {%- set declared = pii_guard.pii_declaration(column) -%}
      {%- if declared.problem -%}
        {%- do problems.append(uid ~ ' column ' ~ (column.get('name') or key) ~ ': pii ' ~ declared.problem) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- set tier = pii_guard.tier_declaration(node) if node.resource_type == 'model' else {} -%}
    {%- if tier.get('problem') -%}
      {%- do problems.append(uid ~ ': privacy_tier ' ~ tier.problem) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(problems) }}
{%- endmacro %}
