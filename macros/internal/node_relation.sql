{#- The relation a manifest node (model, seed, snapshot or source) is built
    as, without ref() or source(): for operations and tests that read
    relations no model depends on. -#}
{% macro node_relation(node) -%}
  {%- set identifier = node.get('identifier') if node.resource_type == 'source' else (node.get('alias') or node.name) -%}
  {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=identifier)) }}
{%- endmacro %}
