{#- What a manifest node declares as its privacy tier: {'tier': 'safe' |
    'restricted' | none, 'problem': message or none}. meta privacy_tier (in
    config.meta, else meta), trimmed and lower-cased, one of
    declaration_rules().tiers; access: public is safe whatever the meta says
    (its consumers are not cleared for PII). Any other tier is a problem. -#}
{% macro tier_declaration(node) -%}
  {%- set config = node.get('config') or {} -%}
  {%- set declared = (config.get('meta') or {}).get('privacy_tier') -%}
  {%- if declared is none -%}{%- set declared = (node.get('meta') or {}).get('privacy_tier') -%}{%- endif -%}
  {%- set tier = (declared | trim | lower) if declared is string else none -%}
  {%- if declared is not none and tier not in pii_guard.declaration_rules().tiers -%}
    {{ return({'tier': none, 'problem': tojson(declared) ~ ' is not ' ~ pii_guard.declaration_rules().tiers | join(' or ')}) }}
  {%- endif -%}
  {%- if node.get('access') == 'public' or config.get('access') == 'public' -%}
    {{ return({'tier': 'safe', 'problem': none}) }}
  {%- endif -%}
  {{ return({'tier': tier, 'problem': none}) }}
{%- endmacro %}
