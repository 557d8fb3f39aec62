{#- The forget list (docs/lifecycle.md, 'Erasure'): the relation of subject ids whose
    PII is erased, declared once in dbt_project.yml:

      vars:
        pii_guard_forget_list: "ref('forget_list')"          # column subject_id
        # or {relation: "source('gdpr', 'erasure_requests')", subject_column: person_id}

    Returns {'relation': {'kind', 'args', 'text'}, 'subject_column': name},
    none when the var is not set; a bad declaration is a compile error. -#}
{% macro forget_list() -%}
  {%- set declared = var('pii_guard_forget_list', none) -%}
  {%- if declared is none -%}{{ return(none) }}{%- endif -%}
  {%- set declared = {'relation': declared} if declared is string else declared -%}
  {%- set problem = none -%}
  {%- if declared is not mapping -%}
    {%- set problem = 'must be "ref(\'<seed or model>\')", "source(\'<source>\', \'<table>\')" or a mapping {relation, subject_column}' -%}
  {%- else -%}
    {%- set unknown = declared.keys() | reject('in', ['relation', 'subject_column']) | list -%}
    {%- set reference = pii_guard.lifecycle_relation_reference(declared.get('relation')) -%}
    {%- set column = declared.get('subject_column', 'subject_id') -%}
    {%- if unknown -%}
      {%- set problem = 'has the unknown key(s) ' ~ unknown | join(', ') ~ ' (known: relation, subject_column)' -%}
    {%- elif reference is none -%}
      {%- set problem = "relation must be \"ref('<seed or model>')\" or \"source('<source>', '<table>')\"" -%}
    {%- elif column is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', column) -%}
      {%- set problem = 'subject_column must be a plain column name' -%}
    {%- endif -%}
  {%- endif -%}
  {%- if problem -%}
    {{ exceptions.raise_compiler_error("pii_guard: the var pii_guard_forget_list " ~ problem ~ '; got ' ~ tojson(declared) ~ ". See docs/lifecycle.md, 'Erasure'.") }}
  {%- endif -%}
  {{ return({'relation': reference, 'subject_column': column}) }}
{%- endmacro %}

{#- The forget list's relation: through ref()/source() in a model (so dbt
    checks the model depends on it), from the manifest in operations and tests. -#}
{% macro forget_list_relation(forget, in_model=true) -%}
  {%- if in_model -%}
    {{ return(pii_guard.lifecycle_consent_relation(forget)) }}
  {%- endif -%}
  {%- set kind = forget.relation.kind -%}
  {%- set args = forget.relation.args -%}
  {%- for node in graph.nodes.values() | list + graph.sources.values() | list -%}
    {%- if kind == 'source' and node.resource_type == 'source' and [node.source_name, node.name] == args -%}
      {{ return(pii_guard.node_relation(node)) }}
    {%- elif kind == 'ref' and node.resource_type in ['model', 'seed', 'snapshot'] and node.name == args[-1]
          and (args | length == 1 or node.package_name == args[0]) -%}
      {{ return(pii_guard.node_relation(node)) }}
    {%- endif -%}
  {%- endfor -%}
  {{ exceptions.raise_compiler_error("pii_guard: the forget list " ~ forget.relation.text ~ " (var pii_guard_forget_list) is no seed, model, snapshot or source of this project.") }}
{%- endmacro %}

{#- The SQL condition "the row's subject is not on the forget list", for the
    row of `outer` whose subject column is `subject`. Compared as text, so an
    integer id matches the forget list's text id. -#}
{% macro forget_list_sql(forget, subject, outer, in_model=true) -%}
  {{ return("(select count(*) from " ~ pii_guard.forget_list_relation(forget, in_model) ~ " as pii_guard_forgotten where "
      ~ pii_guard.as_text('pii_guard_forgotten.' ~ forget.subject_column) ~ " = "
      ~ pii_guard.as_text(outer ~ '.' ~ pii_guard.column_identifier(subject)) ~ ") = 0") }}
{%- endmacro %}
