{#- The proof of erasure (docs/lifecycle.md, 'Erasure'). Attached to the forget list
    (var pii_guard_forget_list), it searches every relation in every schema
    this project builds into, and the test-failure schema, column by column,
    for any form a forgotten subject's values take (forgotten_forms_sql: the
    raw values, their keyed pseudonyms, what their declared treatment makes
    of them), read from the raw relations that declare their subject (meta
    pii_guard.subject). It fails with one row per (relation, column) holding
    one, with the number of rows (hits); never a value, and one row for
    the forget list's ids that match no raw row (nothing to search for them:
    a wrong id or type, or raw already purged). It searches every
    relation, not the lineage's, so a relation the erasure missed is found.

    Forms shorter than min_length characters are not searched: a small id or
    a two-letter state occurs in unrelated rows. The raw relations themselves
    and the forget list are not searched (the loader erases raw).

      seeds:
        - name: forget_list
          data_tests: [pii_guard.forgotten_subjects_erased] -#}
{% test forgotten_subjects_erased(model, min_length=6) %}
  {%- if min_length is not number or min_length is sameas true or min_length is sameas false or min_length != min_length | int or min_length < 1 -%}
    {{ pii_guard.argument_error('forgotten_subjects_erased', "min_length must be a whole number of characters, 1 or more; got " ~ min_length ~ ".") }}
  {%- endif -%}
  {%- if not execute -%}
    select 1 as hits where 1 = 0
  {%- else -%}
  {%- set forget = pii_guard.forget_list() -%}
  {%- if forget is none -%}
    {{ exceptions.raise_compiler_error("pii_guard.forgotten_subjects_erased: no forget list is declared: set the var pii_guard_forget_list. See docs/lifecycle.md, 'Erasure'.") }}
  {%- endif -%}
  {%- set origins = pii_guard.erasure_origins() -%}
  {%- if not origins -%}
    {{ exceptions.raise_compiler_error("pii_guard.forgotten_subjects_erased: no source or seed declares its data subject (meta pii_guard.subject), so there is nothing to search for. See docs/lifecycle.md, 'Erasure'.") }}
  {%- endif -%}
  {#- Not searched: the forget list, and the proof's own failures (which
      --store-failures replaces while this query reads). -#}
  {%- set forget_relation = pii_guard.forget_list_relation(forget, in_model=false) -%}
  {%- set skipped = [forget_relation | string | lower, this | string | lower] -%}
  {%- for origin in origins -%}
    {%- do skipped.append(pii_guard.node_relation(graph.sources.get(origin.node) or graph.nodes.get(origin.node)) | string | lower) -%}
  {%- endfor -%}
  {#- A forgotten id that matches no raw row (a typo, another type such as
      2.0 for 2, raw already purged) has no values to search for: reported,
      never a silent pass. -#}
  {%- set unmatched = [] -%}
  {%- for origin in origins -%}
    {%- do unmatched.append("not exists (select 1 from " ~ pii_guard.node_relation(graph.sources.get(origin.node) or graph.nodes.get(origin.node))
        ~ " as pii_guard_origin where " ~ pii_guard.as_text('pii_guard_origin.' ~ pii_guard.column_identifier(origin.subject))
        ~ " = " ~ pii_guard.as_text('pii_guard_forgotten.' ~ pii_guard.column_identifier(forget.subject_column)) ~ ")") -%}
  {%- endfor -%}
  {%- set unmatched_ids = "select " ~ pii_guard.sql_string(forget_relation | string) ~ " as relation_name, "
      ~ pii_guard.sql_string(forget.subject_column ~ " matching no raw row") ~ " as column_name, count(*) as hits from "
      ~ forget_relation ~ " as pii_guard_forgotten where " ~ unmatched | join(' and ') -%}
  {#- Every searched cell as text, beside its relation and column: each
      relation read once, its row repeated per column (a join to the list
      of its column names), and the forms matched against all the cells at
      once. An engine such as Spark computes a CTE again at each reference:
      a search per column would compute the forms once per column. -#}
  {%- set text_type = dbt.type_string() -%}
  {%- set cells = ["select cast(null as " ~ text_type ~ ") as relation_name, cast(null as " ~ text_type ~ ") as column_name, cast(null as " ~ text_type ~ ") as cell where 1 = 0"] -%}
  {%- for relation in pii_guard.erasure_searched_relations() if relation | string | lower not in skipped -%}
    {%- set names = [] -%}
    {%- set texts = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
      {%- set name = pii_guard.sql_string(column.name) -%}
      {%- do names.append("(" ~ name ~ ")") -%}
      {%- do texts.append("when " ~ name ~ " then " ~ pii_guard.as_text('pii_guard_searched_relation.' ~ pii_guard.column_identifier(column.name))) -%}
    {%- endfor -%}
    {%- if names -%}
      {%- do cells.append("select " ~ pii_guard.sql_string(relation | string) ~ ", pii_guard_searched.column_name, case pii_guard_searched.column_name "
          ~ texts | join(' ') ~ " end from " ~ relation ~ " as pii_guard_searched_relation cross join (values " ~ names | join(', ')
          ~ ") as pii_guard_searched(column_name)") -%}
    {%- endif -%}
  {%- endfor -%}
with pii_guard_forgotten_forms as (
  select form from ({{ pii_guard.forgotten_forms_sql(origins, forget) }}) as all_forms
  where length(form) >= {{ min_length }}
),
searched_cells as (
  {{ cells | join('\n  union all\n  ') }}
),
searched as (
  select relation_name, column_name, count(*) as hits from searched_cells
  where cell in (select form from pii_guard_forgotten_forms)
  group by relation_name, column_name
  union all
  {{ unmatched_ids }}
)
select relation_name, column_name, hits from searched where hits > 0
  {%- endif -%}
{% endtest %}

{#- The raw relations that declare their data subject, as erasure origins:
    [{'node', 'subject', 'columns': PII columns and the subject}]; a seed and
    the source over it are one (the source's name stands for it). -#}
{% macro erasure_origins() -%}
  {%- set origins = [] -%}
  {%- set seen = [] -%}
  {%- for node in graph.sources.values() | list + graph.nodes.values() | list if node.resource_type in ['source', 'seed'] -%}
    {%- set relation = pii_guard.node_relation(node) -%}
    {%- set nodes = pii_guard.nodes_for_relation(relation) -%}
    {%- set subject = namespace(name=none) -%}
    {%- for described in nodes -%}
      {%- set meta = {} -%}
      {%- do meta.update(described.get('meta') or {}) -%}
      {%- do meta.update((described.get('config') or {}).get('meta') or {}) -%}
      {%- if meta.get('pii_guard') is mapping and meta.pii_guard.get('subject') is string and subject.name is none -%}
        {%- set subject.name = meta.pii_guard.subject | lower -%}
      {%- endif -%}
    {%- endfor -%}
    {%- if subject.name is not none and relation | string | lower not in seen -%}
      {%- do seen.append(relation | string | lower) -%}
      {%- set columns = [subject.name] -%}
      {%- for name, column in pii_guard.declared_columns(relation).columns.items() if pii_guard.is_pii_column(column) and name != subject.name -%}
        {%- do columns.append(name) -%}
      {%- endfor -%}
      {%- do origins.append({'node': (nodes | selectattr('resource_type', 'equalto', 'source') | list or [node])[0].unique_id, 'subject': subject.name, 'columns': columns}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(origins) }}
{%- endmacro %}

{#- Every relation in the schemas this project builds into (models, seeds,
    snapshots), and in the test-failure schema. -#}
{% macro erasure_searched_relations() -%}
  {%- set schemas = {} -%}
  {%- for node in graph.nodes.values() if node.resource_type in ['model', 'seed', 'snapshot'] and node.config.get('materialized') != 'ephemeral' -%}
    {%- do schemas.update({((node.database or '') ~ '.' ~ node.schema) | lower: api.Relation.create(database=node.database, schema=node.schema)}) -%}
  {%- endfor -%}
  {%- for audit in [api.Relation.create(database=target.get('database'), schema=target.schema ~ '_dbt_test__audit')] -%}
    {%- do schemas.update({((audit.database or '') ~ '.' ~ audit.schema) | lower: audit}) -%}
  {%- endfor -%}
  {%- set found = [] -%}
  {%- for key, schema in schemas | dictsort -%}
    {%- do found.extend(pii_guard.relations_in_schema(schema.database, schema.schema)) -%}
  {%- endfor -%}
  {{ return(found) }}
{%- endmacro %}
