{#- The manifest nodes (models, seeds, snapshots, sources) that describe a
    relation. Usually one; a seed and the source declared over it are two
    descriptions of the same table. Generic tests receive a relation, while the
    yml lives on the nodes. -#}
{% macro nodes_for_relation(relation) -%}
  {%- set wanted = [relation.database or '', relation.schema or '', relation.identifier or ''] | map('lower') | list -%}
  {%- set found = [] -%}
  {%- for node in graph.nodes.values() | list + graph.sources.values() | list
        if node.resource_type in ['model', 'seed', 'snapshot', 'source'] -%}
    {%- set identifier = node.get('identifier') if node.resource_type == 'source' else node.get('alias') -%}
    {%- if [node.database or '', node.schema or '', identifier or ''] | map('lower') | list == wanted -%}
      {%- do found.append(node) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(found) }}
{%- endmacro %}
