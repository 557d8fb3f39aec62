{#- Builds a protected copy of every declared source of the project into one
    schema (optionally another database): each table keeps its name and its
    rows, and its columns go through protected_select, so the copy has the
    schema of raw (same names and order, types kept where the treatment can)
    and none of its PII. The lifecycle applies as in protected_select:
    consent, retention and the forget list nullify PII, and retention's
    action remove leaves the rows past retention out (docs/lifecycle.md, 'The data
    subject's lifecycle'). Development and CI targets read the copy instead of
    raw (docs/lifecycle.md, 'A safe raw copy for development'). Run it as a role that
    reads raw and owns the copy, with the production key:

      dbt run-operation pii_guard.build_safe_copy --args '{schema: raw_safe}'

    sources: only these (a source name, or source_name.table_name).
    grant_to: PostgreSQL roles given read access to the copy (usage on the
    schema, select on its tables), e.g. the developers' role; re-granted on
    every build, since each build replaces the tables. Every
    source is checked before anything is written: a column the yml does not
    classify, a missing table or a copy that would overwrite its source stops
    the whole run with one message. After each table the row counts of source
    and copy are compared. -#}
{% macro build_safe_copy(schema, database=none, sources=none, grant_to=[]) -%}
  {%- if schema is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', schema) -%}
    {{ pii_guard.argument_error('build_safe_copy', "schema must be a plain schema name, e.g. raw_safe; got " ~ schema ~ ".") }}
  {%- endif -%}
  {%- if database is not none and (database is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', database)) -%}
    {{ pii_guard.argument_error('build_safe_copy', "database must be a plain database name or none; got " ~ database ~ ".") }}
  {%- endif -%}
  {%- if sources is not none -%}
    {{ pii_guard.require_column_list('build_safe_copy', 'sources', sources) }}
  {%- endif -%}
  {%- set plain = namespace(ok=grant_to is not string and grant_to is iterable and grant_to is not mapping) -%}
  {%- for role in (grant_to if plain.ok else []) if role is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', role) -%}
    {%- set plain.ok = false -%}
  {%- endfor -%}
  {%- if not plain.ok -%}
    {{ pii_guard.argument_error('build_safe_copy', "grant_to must be a list of plain role names; got " ~ grant_to ~ ".") }}
  {%- endif -%}
  {%- if grant_to and target.type != 'postgres' -%}
    {{ pii_guard.argument_error('build_safe_copy', "grant_to is for PostgreSQL; on " ~ target.type ~ " grant read access to the copy's schema with the engine's own tools.") }}
  {%- endif -%}
  {{ return(adapter.dispatch('build_safe_copy', 'pii_guard')(schema, database, sources, grant_to)) }}
{%- endmacro %}

{#- The same on every engine: create_table_as and the treatments differ. -#}
{% macro default__build_safe_copy(schema, database, sources, grant_to) -%}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set wanted = (sources or []) | map('lower') | list -%}
  {%- set matched = [] -%}
  {%- set plans = [] -%}
  {%- set problems = [] -%}
  {#- Where any source of the project lives: the copy must write elsewhere
      (dropping and re-creating a table there would destroy raw data). -#}
  {%- set source_schemas = {} -%}
  {%- for node in graph.sources.values() -%}
    {%- do source_schemas.setdefault(((node.database or '') ~ '.' ~ (node.schema or '')) | lower, node.source_name) -%}
  {%- endfor -%}
  {%- set copied = {} -%}
  {%- for node in graph.sources.values() | sort(attribute='unique_id') if node.package_name == project_name -%}
    {%- set names = [node.source_name | lower, (node.source_name ~ '.' ~ node.name) | lower] -%}
    {%- if not wanted or names | select('in', wanted) | list -%}
      {%- do matched.extend(names | select('in', wanted) | list) -%}
      {%- set where = node.source_name ~ '.' ~ node.name -%}
      {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.identifier) -%}
      {%- set copy = api.Relation.create(database=database or target.get('database'), schema=schema, identifier=node.identifier, type='table') -%}
      {%- set copy_schema = ((copy.database or '') ~ '.' ~ schema) | lower -%}
      {%- if (copy.database or '') | lower == (relation.database or '') | lower and schema | lower == (relation.schema or '') | lower -%}
        {%- do problems.append(where ~ ': the copy would replace the source itself (' ~ relation ~ '); name another schema') -%}
      {%- elif copy_schema in source_schemas -%}
        {%- do problems.append(where ~ ': the copy would be written into ' ~ schema ~ ', where source ' ~ source_schemas[copy_schema] ~ ' lives; name a schema of its own') -%}
      {%- elif node.identifier | lower in copied -%}
        {%- do problems.append(where ~ ': its copy ' ~ copy ~ ' would overwrite the copy of ' ~ copied[node.identifier | lower] ~ ' (same table name); copy them in separate runs, each with its own schema (sources: [...])') -%}
      {%- elif adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        {%- do problems.append(where ~ ': ' ~ relation ~ ' does not exist') -%}
      {%- else -%}
        {%- set protected = pii_guard.protected_columns(relation, lifecycle=true) -%}
        {%- for problem in protected.problems + protected.lifecycle_problems -%}
          {%- do problems.append(where ~ ': ' ~ problem) -%}
        {%- endfor -%}
        {%- do copied.update({node.identifier | lower: where}) -%}
        {%- do plans.append({'where': where, 'relation': relation, 'copy_relation': copy, 'select_list': protected.select_list,
              'filter': ' where ' ~ protected.remove_unless if protected.remove_unless is not none else ''}) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name in wanted if name not in matched -%}
    {%- do problems.append(name ~ ': no source of this project has that name') -%}
  {%- endfor -%}
  {%- if not plans and not problems -%}
    {%- do problems.append('this project declares no sources') -%}
  {%- endif -%}
  {%- if problems -%}
    {{ exceptions.raise_compiler_error('pii_guard.build_safe_copy: nothing was copied; ' ~ problems | length ~ ' problem(s): ' ~ problems | join('; ')
        ~ ". Every column of every copied source needs meta pii true or false, and PII a treatment; see docs/macros.md, 'Policies in yml'.") }}
  {%- endif -%}

  {%- do adapter.create_schema(plans[0].copy_relation) -%}
  {%- for plan in plans -%}
    {%- set existing = adapter.get_relation(database=plan.copy_relation.database, schema=plan.copy_relation.schema, identifier=plan.copy_relation.identifier) -%}
    {%- if existing is not none -%}{%- do adapter.drop_relation(existing) -%}{%- endif -%}
    {%- do run_query(create_table_as(false, plan.copy_relation, 'select ' ~ plan.select_list | join(',\n    ') ~ '\nfrom ' ~ plan.relation ~ plan.filter)) -%}
    {%- set counts = run_query('select (select count(*) from ' ~ plan.relation ~ plan.filter ~ '), (select count(*) from ' ~ plan.copy_relation ~ ')').rows[0] -%}
    {%- if counts[0] != counts[1] -%}
      {{ exceptions.raise_compiler_error('pii_guard.build_safe_copy: ' ~ plan.where ~ ' has ' ~ counts[0] ~ ' rows and its copy ' ~ counts[1] ~ '; the copy is incomplete.') }}
    {%- endif -%}
    {{ log('pii_guard: copied ' ~ plan.where ~ ' to ' ~ plan.copy_relation ~ ' (' ~ counts[1] ~ ' rows, ' ~ plan.select_list | length ~ ' columns)', info=true) }}
  {%- endfor -%}
  {%- for role in grant_to -%}
    {%- do run_query('grant usage on schema ' ~ adapter.quote(schema) ~ ' to ' ~ role ~ ';\n'
          ~ 'grant select on all tables in schema ' ~ adapter.quote(schema) ~ ' to ' ~ role) -%}
  {%- endfor -%}
  {#- One transaction where the engine has them (PostgreSQL, DuckDB): every
      copy, or none. -#}
  {%- do adapter.commit() -%}
{%- endmacro %}
