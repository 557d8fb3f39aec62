{#- 'safe', 'restricted' or none for a manifest node: meta privacy_tier (in
    meta or config.meta). A model exposed to other projects (access: public) is
    safe whatever its meta says: its consumers are not cleared for PII. -#}
{% macro privacy_tier(node) -%}
  {%- set config = node.get('config') or {} -%}
  {%- if node.get('access') == 'public' or config.get('access') == 'public' -%}
    {{ return('safe') }}
  {%- endif -%}
  {{ return((config.get('meta') or {}).get('privacy_tier') or (node.get('meta') or {}).get('privacy_tier')) }}
{%- endmacro %}
