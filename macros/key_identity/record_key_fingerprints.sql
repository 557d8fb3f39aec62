{#- The package's on-run-end hook (dbt_project.yml): records the current key's
    fingerprint for every relation this run built successfully that depends
    on the key (see key_dependent_nodes) and stores rows (not views or
    ephemeral models), in the registry table pii_guard_key_registry(relation,
    fingerprint, recorded_at) in the target schema. A row is added only when
    the fingerprint differs from the relation's latest one: the registry
    holds one row per relation and key. -#}
{% macro record_key_fingerprints(results) -%}
  {{ return(adapter.dispatch('record_key_fingerprints', 'pii_guard')(results)) }}
{%- endmacro %}

{#- Portable: the registry's engine-specific DDL is in create_key_registry. -#}
{% macro default__record_key_fingerprints(results) -%}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set built = [] -%}
  {%- for result in results if result.status == 'success' -%}
    {%- set node = graph.nodes.get(result.node.unique_id) -%}
    {%- if node is not none and node.resource_type in ['model', 'snapshot']
          and node.config.materialized not in ['view', 'ephemeral'] -%}
      {%- do built.append(node) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if not built -%}{{ return('') }}{%- endif -%}

  {%- set keyed = pii_guard.key_dependent_nodes() -%}
  {%- set built = built | selectattr('unique_id', 'in', keyed) | list -%}
  {%- if not built -%}{{ return('') }}{%- endif -%}

  {%- set current = pii_guard.current_key_fingerprint() -%}
  {%- set recorded = pii_guard.recorded_key_fingerprints() -%}
  {%- set names = [] -%}
  {%- for node in built -%}
    {%- set name = pii_guard.key_registry_name(node) -%}
    {%- if recorded.get(name) != current and name not in names -%}
      {%- do names.append(name) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if not names -%}{{ return('') }}{%- endif -%}

  {%- set registry = pii_guard.key_registry_relation() -%}
  {%- if adapter.get_relation(database=registry.database, schema=registry.schema, identifier=registry.identifier) is none -%}
    {%- do adapter.create_schema(registry) -%}
    {%- call statement('pii_guard_create_key_registry', auto_begin=True) -%}
      {{ pii_guard.create_key_registry(registry) }}
    {%- endcall -%}
  {%- endif -%}
  {%- call statement('pii_guard_record_key_fingerprints', auto_begin=True) -%}
    insert into {{ registry }} (relation, fingerprint, recorded_at) values
    {%- for name in names %}
      ({{ pii_guard.sql_string(name) }}, {{ pii_guard.sql_string(current) }}, current_timestamp){{ "," if not loop.last }}
    {%- endfor %}
  {%- endcall -%}
  {%- do adapter.commit() -%}
  {{ return('') }}
{%- endmacro %}
