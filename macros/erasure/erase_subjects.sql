{#- Erases the PII of every subject on the forget list (var
    pii_guard_forget_list) from the stored relations of an erasure plan,
    which `pii-guard erase` makes from the column lineage and passes here:

      pii-guard erase --project-dir . -- --target prod

    plan: {'origins': [{'node', 'subject', 'columns'}],
           'relations': [{'node', 'keys': {column: [origin columns]},
                          'columns': {column: [origin columns]}}]}
    In each relation a row is the subject's when a key column holds one of
    the subject's forms (forgotten_forms_sql); there every planned column
    becomes NULL, and elsewhere a planned column holding a form only
    forgotten subjects have becomes NULL too. Rows are kept (counts and joins
    of other subjects do not change). Relations in the test-failure schema
    lose the rows holding a form. Each relation's count of erased rows and
    its columns are logged, never a value. One transaction where the engine
    has them (PostgreSQL, DuckDB).

    dry_run: count only. -#}
{% macro erase_subjects(plan, dry_run=false) -%}
  {%- if plan is not mapping or plan.get('origins') is not iterable or plan.get('relations') is not iterable
        or plan.origins is string or plan.relations is string -%}
    {{ pii_guard.argument_error('erase_subjects', "plan must be {origins: [...], relations: [...]} as `pii-guard erase` makes it (pii-guard erase --plan prints one); got " ~ tojson(plan) ~ ".") }}
  {%- endif -%}
  {%- if dry_run not in [true, false] -%}
    {{ pii_guard.argument_error('erase_subjects', "dry_run must be true or false; got " ~ dry_run ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('erase_subjects', 'pii_guard')(plan, dry_run)) }}
{%- endmacro %}

{% macro default__erase_subjects(plan, dry_run) -%}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set forget = pii_guard.forget_list() -%}
  {%- if forget is none -%}
    {{ exceptions.raise_compiler_error("pii_guard.erase_subjects: no forget list is declared: set the var pii_guard_forget_list. See docs/lifecycle.md, 'Erasure'.") }}
  {%- endif -%}
  {%- set forms = 'pii_guard_forgotten_forms' -%}
  {%- do run_query(pii_guard.erasure_forms_view(forms, pii_guard.forgotten_forms_sql(plan.origins, forget))) -%}
  {%- set work = [] -%}
  {%- for planned in plan.relations -%}
    {%- set node = graph.nodes.get(planned.node) -%}
    {%- if node is none -%}
      {{ exceptions.raise_compiler_error('pii_guard.erase_subjects: ' ~ planned.node ~ ' is no node of this project: plan the erasure again from a fresh manifest (dbt compile, then pii-guard erase).') }}
    {%- endif -%}
    {%- set relation = pii_guard.node_relation(node) -%}
    {%- set built = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if built is none -%}
      {{ log('pii_guard erase: ' ~ relation ~ ': not built, nothing stored', info=true) }}
    {%- else -%}
      {%- set names = {} -%}
      {%- for column in adapter.get_columns_in_relation(built) -%}
        {%- do names.update({column.name | lower: column.name}) -%}
      {%- endfor -%}
      {%- set missing = (planned.columns.keys() | list + planned.get('keys', {}).keys() | list) | reject('in', names) | list -%}
      {%- if missing -%}
        {{ exceptions.raise_compiler_error('pii_guard.erase_subjects: ' ~ relation ~ ' has no column ' ~ missing | join(', ') ~ ', which the plan names: build the project and plan the erasure again from its manifest.') }}
      {%- endif -%}
      {%- set row_conditions = [] -%}
      {%- for key, origins in planned.get('keys', {}).items() -%}
        {%- do row_conditions.append(pii_guard.erasure_form_match(names[key | lower], origins, forms)) -%}
      {%- endfor -%}
      {%- set row = '(' ~ (row_conditions | join(' or ') if row_conditions else '1 = 0') ~ ')' -%}
      {%- set erased = {} -%}
      {%- for column, origins in planned.columns.items() -%}
        {%- do erased.update({names[column | lower]: row ~ ' or ' ~ pii_guard.erasure_form_match(names[column | lower], origins, forms)}) -%}
      {%- endfor -%}
      {%- set condition = '(' ~ erased.values() | join(') or (') ~ ')' if erased else row -%}
      {%- do work.append({'relation': built, 'columns': names.values() | list, 'erased': erased, 'condition': condition}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for audit in pii_guard.erasure_test_failure_relations() -%}
    {%- set matches = [] -%}
    {%- for column in adapter.get_columns_in_relation(audit) -%}
      {%- do matches.append(pii_guard.as_text(pii_guard.column_identifier(column.name)) ~ ' in (select form from ' ~ forms ~ ' where length(form) >= 6)') -%}
    {%- endfor -%}
    {%- if matches -%}
      {%- do work.append({'relation': audit, 'columns': [], 'erased': {}, 'condition': '(' ~ matches | join(') or (') ~ ')'}) -%}
    {%- endif -%}
  {%- endfor -%}

  {%- for item in work -%}
    {%- set count = run_query('select count(*) from ' ~ item.relation ~ ' where ' ~ item.condition).columns[0].values()[0] -%}
    {%- if count > 0 and not dry_run -%}
      {%- if item.erased -%}
        {%- do pii_guard.erase_rows(item.relation, item.columns, item.erased, item.condition) -%}
      {%- else -%}
        {%- do pii_guard.delete_rows(item.relation, item.condition) -%}
      {%- endif -%}
    {%- endif -%}
    {{ log('pii_guard erase: ' ~ item.relation ~ ': ' ~ count ~ ' row(s) ' ~ ('to erase' if dry_run else 'erased') ~ ('; columns ' ~ item.erased.keys() | join(', ') if item.erased else ' (test failures, rows deleted)'), info=true) }}
  {%- endfor -%}
  {%- do run_query('drop view if exists ' ~ forms) -%}
  {%- do adapter.commit() -%}
{%- endmacro %}

{#- "<column> holds one of the forms of these origin columns". -#}
{% macro erasure_form_match(column, origins, forms) -%}
  {{ return(pii_guard.as_text(pii_guard.column_identifier(column)) ~ " in (select form from " ~ forms ~ " where origin_column in ('"
      ~ origins | map('replace', "'", "''") | join("', '") ~ "'))") }}
{%- endmacro %}

{#- The session's view of the forgotten forms (raw values among them), so
    every relation's statement reads them without their SQL repeated; dropped
    at the end, never a table. -#}
{% macro erasure_forms_view(name, sql) -%}
  {{ return(adapter.dispatch('erasure_forms_view', 'pii_guard')(name, sql)) }}
{%- endmacro %}

{% macro default__erasure_forms_view(name, sql) -%}
  {{ return('create or replace temporary view ' ~ name ~ ' as\n' ~ sql) }}
{%- endmacro %}

{#- Spark computes a view again at every reference, and each relation's
    statements reference the forms several times: they are computed once and
    cached, in memory only (never spilled to local disk, since raw values are
    among them). Dropping the view drops the cache. -#}
{% macro spark__erasure_forms_view(name, sql) -%}
  {{ return("cache table " ~ name ~ " options ('storageLevel' 'MEMORY_ONLY') as\n" ~ sql) }}
{%- endmacro %}

{#- The relations dbt test --store-failures wrote (the schema <schema>_dbt_test__audit). -#}
{% macro erasure_test_failure_relations() -%}
  {%- set audit = api.Relation.create(database=target.get('database'), schema=target.schema ~ '_dbt_test__audit') -%}
  {{ return(pii_guard.relations_in_schema(audit.database, audit.schema)) }}
{%- endmacro %}

{#- Nulls the erased columns of the rows matching the condition, in place. -#}
{% macro erase_rows(relation, columns, erased, condition) -%}
  {{ return(adapter.dispatch('erase_rows', 'pii_guard')(relation, columns, erased, condition)) }}
{%- endmacro %}

{% macro default__erase_rows(relation, columns, erased, condition) -%}
  {%- set assignments = [] -%}
  {%- for column, match in erased.items() -%}
    {%- do assignments.append(pii_guard.column_identifier(column) ~ ' = case when ' ~ match ~ ' then null else ' ~ pii_guard.column_identifier(column) ~ ' end') -%}
  {%- endfor -%}
  {%- do run_query('update ' ~ relation ~ ' set ' ~ assignments | join(', ') ~ ' where ' ~ condition) -%}
{%- endmacro %}

{#- Spark's Parquet tables take no UPDATE: the erased rows are written to a
    scratch table, which then overwrites the relation. -#}
{% macro spark__erase_rows(relation, columns, erased, condition) -%}
  {%- set scratch = api.Relation.create(schema=relation.schema, identifier=relation.identifier ~ '__pii_guard_erasing', type='table') -%}
  {%- set select_list = [] -%}
  {%- for column in columns -%}
    {%- set quoted = pii_guard.column_identifier(column) -%}
    {%- do select_list.append(('case when ' ~ erased[column] ~ ' then null else ' ~ quoted ~ ' end' if column in erased else quoted) ~ ' as ' ~ quoted) -%}
  {%- endfor -%}
  {%- do run_query('drop table if exists ' ~ scratch) -%}
  {%- do run_query('create table ' ~ scratch ~ ' using parquet as select ' ~ select_list | join(', ') ~ ' from ' ~ relation) -%}
  {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ scratch) -%}
  {%- do run_query('drop table ' ~ scratch) -%}
{%- endmacro %}

{#- Deletes the rows matching the condition (test failures, which hold the
    failing rows' values). -#}
{% macro delete_rows(relation, condition) -%}
  {{ return(adapter.dispatch('delete_rows', 'pii_guard')(relation, condition)) }}
{%- endmacro %}

{% macro default__delete_rows(relation, condition) -%}
  {%- do run_query('delete from ' ~ relation ~ ' where ' ~ condition) -%}
{%- endmacro %}

{% macro spark__delete_rows(relation, condition) -%}
  {%- set scratch = api.Relation.create(schema=relation.schema, identifier=relation.identifier ~ '__pii_guard_erasing', type='table') -%}
  {%- do run_query('drop table if exists ' ~ scratch) -%}
  {%- do run_query('create table ' ~ scratch ~ ' using parquet as select * from ' ~ relation ~ ' where not coalesce((' ~ condition ~ '), false)') -%}
  {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ scratch) -%}
  {%- do run_query('drop table ' ~ scratch) -%}
{%- endmacro %}
