{#- The data subject's lifecycle (docs/lifecycle.md, 'The data subject's lifecycle'):
    consent and retention, declared once per relation in its yml meta

      meta:
        pii_guard:
          subject: person_id      # the data subject's column (consent's default; erasure)
          consent: {relation: "ref('consents')", subject: person_id, purpose: analytics,
                    subject_column: subject_id, purpose_column: purpose, granted_column: granted}
          retention: {days: 365, column: created_at, action: nullify, as_of: "2024-06-30"}

    and read by protected_select: every PII column of a row whose subject has
    not consented to the purpose, or whose retention column is past
    retention, is NULL. lifecycle_policy reads and checks the declaration:

      {'consent': {...} or none, 'retention': {...} or none, 'problems': [...]}

    names: the relation's column names, lower-cased (subject and column must
    be among them). Problems are returned, not raised, so protected_select
    names them with the columns' problems in one error. -#}
{% macro lifecycle_policy(relation, nodes, names) -%}
  {%- set meta = {} -%}
  {%- for node in nodes | sort(attribute='resource_type', reverse=true) -%}
    {%- set node_meta = {} -%}
    {%- do node_meta.update(node.get('meta') or {}) -%}
    {%- do node_meta.update((node.get('config') or {}).get('meta') or {}) -%}
    {%- if node_meta.get('pii_guard') is not none and meta.get('pii_guard') is none -%}
      {%- do meta.update({'pii_guard': node_meta.get('pii_guard')}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set result = {'consent': none, 'retention': none, 'subject': none, 'problems': []} -%}
  {%- set declared = meta.get('pii_guard') -%}
  {%- if declared is none -%}{{ return(result) }}{%- endif -%}
  {%- if declared is not mapping -%}
    {%- do result.problems.append('meta pii_guard must be a mapping with consent and/or retention; got ' ~ tojson(declared)) -%}
    {{ return(result) }}
  {%- endif -%}
  {%- for key in declared.keys() if key not in ['subject', 'consent', 'retention'] -%}
    {%- do result.problems.append('meta pii_guard has the unknown key ' ~ key ~ ' (known: subject, consent, retention)') -%}
  {%- endfor -%}
  {%- set subject = declared.get('subject') -%}
  {%- if subject is not none -%}
    {%- if subject is not string or subject | lower not in names -%}
      {%- do result.problems.append('meta pii_guard.subject must name a column of the relation (the column identifying the data subject, compared with the forget list); got ' ~ tojson(subject)) -%}
    {%- else -%}
      {%- do result.update({'subject': subject}) -%}
    {%- endif -%}
  {%- endif -%}

  {%- set consent = declared.get('consent') -%}
  {%- if consent is not none -%}
    {%- set known = ['relation', 'subject', 'purpose', 'subject_column', 'purpose_column', 'granted_column'] -%}
    {%- if consent is not mapping -%}
      {%- do result.problems.append('meta pii_guard.consent must be a mapping of ' ~ known | join(', ') ~ '; got ' ~ tojson(consent)) -%}
    {%- else -%}
      {%- set bad = namespace(found=false) -%}
      {%- for key in consent.keys() if key not in known -%}
        {%- do result.problems.append('meta pii_guard.consent has the unknown key ' ~ key ~ ' (known: ' ~ known | join(', ') ~ ')') -%}
        {%- set bad.found = true -%}
      {%- endfor -%}
      {%- set target = pii_guard.lifecycle_relation_reference(consent.get('relation')) -%}
      {%- if target is none -%}
        {%- do result.problems.append("meta pii_guard.consent.relation must be \"ref('<model or seed>')\" or \"source('<source>', '<table>')\"; got " ~ tojson(consent.get('relation'))) -%}
        {%- set bad.found = true -%}
      {%- endif -%}
      {%- set subject = consent.get('subject', declared.get('subject')) -%}
      {%- if subject is not string or subject | lower not in names -%}
        {%- do result.problems.append('meta pii_guard.consent.subject must name a column of the relation (the data subject, compared with the consent relation\'s subject_column); got ' ~ tojson(subject)) -%}
        {%- set bad.found = true -%}
      {%- endif -%}
      {%- set purpose = consent.get('purpose') -%}
      {%- if purpose is not string or not purpose | trim -%}
        {%- do result.problems.append('meta pii_guard.consent.purpose must be a non-empty text (the purpose this relation\'s data is used for); got ' ~ tojson(purpose)) -%}
        {%- set bad.found = true -%}
      {%- endif -%}
      {%- for key in ['subject_column', 'purpose_column', 'granted_column'] -%}
        {%- set value = consent.get(key) -%}
        {%- if value is not none and (value is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', value)) -%}
          {%- do result.problems.append('meta pii_guard.consent.' ~ key ~ ' must be a plain column name; got ' ~ tojson(value)) -%}
          {%- set bad.found = true -%}
        {%- endif -%}
      {%- endfor -%}
      {%- if not bad.found -%}
        {%- do result.update({'consent': {
              'relation': target, 'subject': subject, 'purpose': purpose,
              'subject_column': consent.get('subject_column') or 'subject_id',
              'purpose_column': consent.get('purpose_column') or 'purpose',
              'granted_column': consent.get('granted_column') or 'granted'}}) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}

  {%- set retention = declared.get('retention') -%}
  {%- if retention is not none -%}
    {%- set known = ['days', 'column', 'action', 'as_of'] -%}
    {%- if retention is not mapping -%}
      {%- do result.problems.append('meta pii_guard.retention must be a mapping of ' ~ known | join(', ') ~ '; got ' ~ tojson(retention)) -%}
    {%- else -%}
      {%- set bad = namespace(found=false) -%}
      {%- for key in retention.keys() if key not in known -%}
        {%- do result.problems.append('meta pii_guard.retention has the unknown key ' ~ key ~ ' (known: ' ~ known | join(', ') ~ ')') -%}
        {%- set bad.found = true -%}
      {%- endfor -%}
      {%- set days = retention.get('days') -%}
      {%- if days is not number or days is sameas true or days is sameas false or days != days | int or days < 0 -%}
        {%- do result.problems.append('meta pii_guard.retention.days must be a whole number of days, 0 or more; got ' ~ tojson(days)) -%}
        {%- set bad.found = true -%}
      {%- endif -%}
      {%- set column = retention.get('column') -%}
      {%- if column is not string or column | lower not in names -%}
        {%- do result.problems.append('meta pii_guard.retention.column must name a date or timestamp column of the relation (when the row was collected); got ' ~ tojson(column)) -%}
        {%- set bad.found = true -%}
      {%- endif -%}
      {%- set action = retention.get('action', 'nullify') -%}
      {%- if action not in ['nullify', 'remove'] -%}
        {%- do result.problems.append('meta pii_guard.retention.action must be nullify or remove; got ' ~ tojson(action)) -%}
        {%- set bad.found = true -%}
      {%- endif -%}
      {%- set as_of = pii_guard.lifecycle_as_of(retention.get('as_of')) -%}
      {%- if as_of.problem -%}
        {%- do result.problems.append('meta pii_guard.retention.as_of ' ~ as_of.problem) -%}
        {%- set bad.found = true -%}
      {%- endif -%}
      {%- if not bad.found -%}
        {%- do result.update({'retention': {'days': days | int, 'column': column, 'action': action, 'as_of': as_of.date}}) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}
  {{ return(result) }}
{%- endmacro %}

{#- "ref('name')", "ref('package', 'name')" or "source('a', 'b')" as
    {'kind': 'ref'|'source', 'args': [...]}, else none. -#}
{% macro lifecycle_relation_reference(text) -%}
  {%- if text is not string -%}{{ return(none) }}{%- endif -%}
  {%- set match = modules.re.fullmatch("\\s*(ref|source)\\(\\s*['\"]([^'\"]+)['\"]\\s*(?:,\\s*['\"]([^'\"]+)['\"]\\s*)?\\)\\s*", text) -%}
  {%- if match is none or (match.group(1) == 'source' and match.group(3) is none) -%}{{ return(none) }}{%- endif -%}
  {{ return({'kind': match.group(1), 'args': [match.group(2)] + ([match.group(3)] if match.group(3) else []), 'text': text | trim}) }}
{%- endmacro %}

{#- The day retention is counted from: the declaration's as_of, else the var
    pii_guard_as_of, else none (the warehouse's current_date). A date is
    written YYYY-MM-DD. {'date': 'YYYY-MM-DD' or none, 'problem': ...} -#}
{% macro lifecycle_as_of(declared=none) -%}
  {%- set value = declared if declared is not none else var('pii_guard_as_of', none) -%}
  {%- if value is none or (value is string and value | trim | lower in ['', 'current_date']) -%}
    {{ return({'date': none, 'problem': none}) }}
  {%- endif -%}
  {%- set text = value | string | trim -%}
  {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
    {{ return({'date': none, 'problem': 'must be a date written YYYY-MM-DD (or current_date); got ' ~ tojson(value | string)}) }}
  {%- endif -%}
  {%- set parsed = modules.datetime.datetime.strptime(text, '%Y-%m-%d') -%}
  {{ return({'date': text, 'problem': none}) }}
{%- endmacro %}

{#- The consent relation, resolved with ref() or source() from the model
    being compiled (which must depend on it: dbt only orders a model after
    what it refs at parse time). -#}
{% macro lifecycle_consent_relation(consent) -%}
  {%- set target = consent.relation -%}
  {%- if target.kind == 'ref' -%}
    {{ return(ref(*target.args)) }}
  {%- else -%}
    {{ return(source(*target.args)) }}
  {%- endif -%}
{%- endmacro %}

{#- The SQL condition "the row's subject has consented to the purpose":
    at least one row of the consent relation for (subject, purpose) and every
    such row granted (a NULL or false grant, e.g. a withdrawal, wins; no row
    is no consent). outer: how the relation is named in the model's FROM. -#}
{% macro lifecycle_consent_sql(consent, outer) -%}
  {%- set purpose = "'" ~ consent.purpose | replace("'", "''") ~ "'" -%}
  {{ return("(select min(case when pii_guard_consent." ~ consent.granted_column ~ " then 1 else 0 end) from "
      ~ pii_guard.lifecycle_consent_relation(consent) ~ " as pii_guard_consent where pii_guard_consent." ~ consent.subject_column
      ~ " = " ~ outer ~ "." ~ pii_guard.column_identifier(consent.subject)
      ~ " and pii_guard_consent." ~ consent.purpose_column ~ " = " ~ purpose ~ ") = 1") }}
{%- endmacro %}

{#- The first day still within retention, as SQL: as_of minus days. -#}
{% macro lifecycle_cutoff_sql(days, as_of) -%}
  {%- if as_of is not none -%}
    {%- set cutoff = modules.datetime.datetime.strptime(as_of, '%Y-%m-%d') - modules.datetime.timedelta(days=days) -%}
    {{ return("cast('" ~ cutoff.strftime('%Y-%m-%d') ~ "' as date)") }}
  {%- endif -%}
  {{ return('cast(' ~ dbt.dateadd('day', -days, 'current_date') | trim ~ ' as date)') }}
{%- endmacro %}

{#- The SQL condition "the row is within retention": its column is on or
    after the cutoff (a NULL timestamp is past retention: default deny). -#}
{% macro lifecycle_retention_sql(retention, outer=none) -%}
  {%- set column = pii_guard.column_identifier(retention.column) -%}
  {{ return((outer ~ '.' if outer else '') ~ column ~ ' >= ' ~ pii_guard.lifecycle_cutoff_sql(retention.days, retention.as_of)) }}
{%- endmacro %}

{#- How a model's FROM names the relation when it has no alias. -#}
{% macro lifecycle_outer_name(relation) -%}
  {{ return(pii_guard.column_identifier(relation.identifier)) }}
{%- endmacro %}

{#- The lifecycle's problems as one message. -#}
{% macro lifecycle_problems_message(problems) -%}
  {{ return(problems | join('; ') ~ ". See docs/lifecycle.md, 'The data subject's lifecycle'.") }}
{%- endmacro %}

{#- The declaration of a relation, read and checked; raises on problems. -#}
{% macro lifecycle_declaration(macro_name, relation) -%}
  {%- if relation is string or relation.identifier is not defined or relation.include is not defined -%}
    {{ pii_guard.argument_error(macro_name, "relation must be a relation such as source('crm', 'customers') or ref('stg_customers'); got " ~ relation ~ ".") }}
  {%- endif -%}
  {%- set nodes = pii_guard.nodes_for_relation(relation) -%}
  {%- set names = [] -%}
  {%- for node in nodes -%}
    {%- for key, column in (node.get('columns') or {}).items() -%}
      {%- do names.append((column.get('name') or key) | lower) -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- set built = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- if built is not none -%}
    {%- for column in adapter.get_columns_in_relation(built) -%}
      {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set lifecycle = pii_guard.lifecycle_policy(relation, nodes, names) -%}
  {%- if lifecycle.problems -%}
    {{ exceptions.raise_compiler_error('pii_guard.' ~ macro_name ~ '(' ~ relation ~ '): ' ~ pii_guard.lifecycle_problems_message(lifecycle.problems)) }}
  {%- endif -%}
  {{ return(lifecycle) }}
{%- endmacro %}

{#- A WHERE condition keeping the rows whose subject has consented to the
    relation's declared purpose (meta pii_guard.consent):

      select {{ pii_guard.protected_select(ref('people')) }}
      from {{ ref('people') }}
      where {{ pii_guard.consented(ref('people')) }} -#}
{% macro consented(relation) -%}
  {%- if not execute -%}{{ return('1 = 1') }}{%- endif -%}
  {%- set lifecycle = pii_guard.lifecycle_declaration('consented', relation) -%}
  {%- if lifecycle.consent is none -%}
    {{ exceptions.raise_compiler_error('pii_guard.consented(' ~ relation ~ "): the relation declares no consent: add meta pii_guard.consent {relation, subject, purpose} to its yml. See docs/lifecycle.md, 'The data subject's lifecycle'.") }}
  {%- endif -%}
  {{ return(pii_guard.lifecycle_consent_sql(lifecycle.consent, pii_guard.lifecycle_outer_name(relation))) }}
{%- endmacro %}

{#- A WHERE condition keeping the rows within the relation's retention (meta
    pii_guard.retention); required in the model when the action is remove:

      where {{ pii_guard.retained(ref('people')) }} -#}
{% macro retained(relation) -%}
  {%- if not execute -%}{{ return('1 = 1') }}{%- endif -%}
  {%- set lifecycle = pii_guard.lifecycle_declaration('retained', relation) -%}
  {%- if lifecycle.retention is none -%}
    {{ exceptions.raise_compiler_error('pii_guard.retained(' ~ relation ~ "): the relation declares no retention: add meta pii_guard.retention {days, column} to its yml. See docs/lifecycle.md, 'The data subject's lifecycle'.") }}
  {%- endif -%}
  {{ return(pii_guard.lifecycle_retention_sql(lifecycle.retention, pii_guard.lifecycle_outer_name(relation))) }}
{%- endmacro %}
