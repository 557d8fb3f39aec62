{#- What a manifest column (a source's, seed's or model's) declares:
    {'pii': true | false | none, 'problem': message or none}. meta pii (in
    meta or config.meta) as declaration_rules() spells it, or the pii tag (in
    tags or config.tags, any case). Any true wins; a value no rule reads is a
    problem, e.g. '"name" is not one of true/false, yes/no, 1/0, on/off'. -#}
{% macro pii_declaration(column) -%}
  {%- set config = column.get('config') or {} -%}
  {#- Most columns declare nothing: answer those without reading the rules
      (this runs for every column of the project, several times per test). -#}
  {%- if (column.get('meta') or {}).get('pii') is none and (config.get('meta') or {}).get('pii') is none
        and not column.get('tags') and not config.get('tags') -%}
    {{ return({'pii': none, 'problem': none}) }}
  {%- endif -%}
  {%- set rules = pii_guard.declaration_rules() -%}
  {%- set found = namespace(pii=none) -%}
  {%- for meta in [column.get('meta') or {}, config.get('meta') or {}] -%}
    {%- set value = meta.get('pii') -%}
    {%- if value is none -%}
    {%- elif value is sameas true or value is sameas false -%}
      {%- set found.pii = found.pii or value -%}
    {%- elif value is integer and value in [0, 1] -%}
      {%- set found.pii = found.pii or value == 1 -%}
    {%- elif value is string and (value | trim | lower) in rules.pii_true + rules.pii_false -%}
      {%- set found.pii = found.pii or (value | trim | lower) in rules.pii_true -%}
    {%- else -%}
      {%- set spellings = [] -%}
      {%- for yes in rules.pii_true -%}{%- do spellings.append(yes ~ '/' ~ rules.pii_false[loop.index0]) -%}{%- endfor -%}
      {{ return({'pii': true, 'problem': tojson(value) ~ ' is not one of ' ~ spellings | join(', ')}) }}
    {%- endif -%}
  {%- endfor -%}
  {%- for tags in [column.get('tags') or [], config.get('tags') or []] -%}
    {%- for tag in tags if tag is string and (tag | trim | lower) == rules.pii_tag -%}
      {{ return({'pii': true, 'problem': none}) }}
    {%- endfor -%}
  {%- endfor -%}
  {{ return({'pii': found.pii, 'problem': none}) }}
{%- endmacro %}
