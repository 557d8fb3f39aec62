{#- Declarations that leave the no_pii_in_safe_models test checking less than
    the project seems to ask, over a dict of manifest nodes (uid -> node), as
    messages that say what to configure:
    - models in a folder named like a safe tier (a folder of the path or fqn
      matching declaration_rules().safe_folder: marts/safe, safe_marts; not
      unsafe) that have no privacy_tier;
    - PII declared, but no safe model. -#}
{% macro declaration_warnings(nodes) -%}
  {%- set rules = pii_guard.declaration_rules() -%}
  {%- set untiered = [] -%}
  {%- set state = namespace(safe=false, pii=none) -%}
  {%- for uid, node in nodes.items() -%}
    {%- for column in (node.get('columns') or {}).values() if state.pii is none and pii_guard.is_pii_column(column) -%}
      {%- set state.pii = uid ~ '.' ~ column.name -%}
    {%- endfor -%}
    {%- if node.resource_type == 'model' -%}
      {%- set tier = pii_guard.privacy_tier(node) -%}
      {%- set state.safe = state.safe or tier == 'safe' -%}
      {%- set folders = (node.get('fqn') or [])[1:-1] + modules.re.split('[\\\\/]', node.get('original_file_path') or '')[:-1] -%}
      {%- if tier is none -%}
        {%- for folder in folders if modules.re.search(rules.safe_folder, folder | lower) -%}
          {%- if loop.first -%}{%- do untiered.append(uid) -%}{%- endif -%}
        {%- endfor -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set warnings = [] -%}
  {%- if untiered -%}
    {%- do warnings.append(untiered | length ~ ' model(s) in a folder named safe have no privacy_tier and are not checked: '
          ~ (untiered | sort)[:5] | join(', ') ~ (' ...' if untiered | length > 5 else '')
          ~ '. Give the folder `+meta: {privacy_tier: safe}` in dbt_project.yml (or restricted, if it may hold PII).') -%}
  {%- endif -%}
  {%- if state.pii and not state.safe -%}
    {%- do warnings.append('PII is declared (e.g. ' ~ state.pii ~ ') but no model is safe, so no_pii_in_safe_models checks nothing. '
          ~ 'Give the folder of models that must hold no PII `+meta: {privacy_tier: safe}` in dbt_project.yml (or `access: public`).') -%}
  {%- endif -%}
  {{ return(warnings) }}
{%- endmacro %}
