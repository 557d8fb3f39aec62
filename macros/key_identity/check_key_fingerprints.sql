{#- The package's on-run-start hook (dbt_project.yml): before any node runs,
    every selected incremental model that will append (it exists and this is
    not a full refresh for it) and every selected snapshot that exists, if it
    depends on the key, must have been built under the current key. A
    different recorded fingerprint stops the whole run with a compilation
    error, so nothing is appended. dbt aborts a run when an on-run-start hook
    fails to render; an error in a hook's SQL would not stop the nodes.

    Relations with no recorded fingerprint (built before pii_guard recorded
    them, or by a run that was interrupted) are adopted with a warning: their
    fingerprint is recorded after this run builds them. --warn-error turns the
    warning into a failure. -#}
{% macro check_key_fingerprints() -%}
  {{ return(adapter.dispatch('check_key_fingerprints', 'pii_guard')()) }}
{%- endmacro %}

{#- Portable: it reads dbt's graph and the registry, and computes the
    fingerprint only through key_fingerprint. -#}
{% macro default__check_key_fingerprints() -%}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set candidates = [] -%}
  {#- `dbt retry` runs this hook with selected_resources empty: check every node then. -#}
  {%- for unique_id in (selected_resources or graph.nodes.keys() | list) -%}
    {%- set node = graph.nodes.get(unique_id) -%}
    {%- if node is not none and (node.resource_type == 'snapshot'
          or (node.resource_type == 'model' and node.config.materialized == 'incremental'
              and not pii_guard.full_refresh_applies(node))) -%}
      {%- do candidates.append(node) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if not candidates -%}{{ return('') }}{%- endif -%}

  {%- set keyed = pii_guard.key_dependent_nodes() -%}
  {%- set existing = [] -%}
  {%- for node in candidates | sort(attribute='name') if node.unique_id in keyed -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {#- A missing relation is built from scratch; a view in its place is replaced whole. -#}
    {%- if relation is not none and not relation.is_view -%}
      {%- do existing.append(node) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if not existing -%}{{ return('') }}{%- endif -%}

  {%- set recorded = pii_guard.recorded_key_fingerprints() -%}
  {%- set unrecorded = [] -%}
  {%- set mismatched = [] -%}
  {%- set current = {} -%}
  {%- for node in existing -%}
    {%- set name = pii_guard.key_registry_name(node) -%}
    {%- if name not in recorded -%}
      {%- do unrecorded.append(node) -%}
    {%- else -%}
      {%- if 'fingerprint' not in current -%}
        {%- do current.update({'fingerprint': pii_guard.current_key_fingerprint()}) -%}
      {%- endif -%}
      {%- if recorded[name] != current.fingerprint -%}
        {%- do mismatched.append((node, recorded[name])) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}

  {%- if mismatched -%}
    {%- set models = [] -%}
    {%- set snapshots = [] -%}
    {%- set lines = [] -%}
    {%- for node, fingerprint in mismatched -%}
      {%- do (snapshots if node.resource_type == 'snapshot' else models).append(node) -%}
      {%- do lines.append("  - " ~ node.resource_type ~ " " ~ node.name ~ " (" ~ pii_guard.key_registry_name(node)
            ~ "): built under key " ~ fingerprint ~ ", the current key is " ~ current.fingerprint) -%}
    {%- endfor -%}
    {%- set fixes = [] -%}
    {%- if models -%}
      {%- do fixes.append("Rebuild the incremental models under the current key: dbt build --full-refresh -s "
            ~ models | map(attribute='name') | join(' ')
            ~ (" (a model with full_refresh: false in its config needs it set to true for that run)"
               if models | selectattr('config.full_refresh', 'sameas', false) | list else "") ~ ".") -%}
    {%- endif -%}
    {%- if snapshots -%}
      {%- do fixes.append("A snapshot cannot be rebuilt (its history is not in the source): either keep running "
            ~ (snapshots | map(attribute='name') | join(', ')) ~ " under its old key, or archive it (rename or drop "
            ~ (snapshots | map(attribute='relation_name') | join(', ')) ~ ") and run dbt snapshot -s "
            ~ (snapshots | map(attribute='name') | join(' ')) ~ " to start a new history under the current key.") -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "pii_guard: the key changed since these relations were built, and this run would add rows to them:\n"
        ~ lines | join("\n") ~ "\n"
        ~ "Adding rows would mix pseudonyms of two keys in one relation: joins and distinct counts would break "
        ~ "without an error. Nothing has been run. " ~ fixes | join(" ")
        ~ " Or, if the key changed by mistake, set DBT_ENV_SECRET_PII_GUARD_KEY back to the key whose "
        ~ "fingerprint (`pii-guard keyid`) is the recorded one. See docs/engines-and-keys.md, Key rotation.") }}
  {%- endif -%}

  {%- if unrecorded -%}
    {%- do exceptions.warn(
        "pii_guard: no key fingerprint is recorded for " ~ (unrecorded | map(attribute='name') | join(', '))
        ~ " (built before pii_guard recorded fingerprints, or by an interrupted run). pii_guard cannot tell "
        ~ "which key built them; this run adds rows under the current key and records its fingerprint for them. "
        ~ "If the key may have changed since they were built, stop and rebuild them (dbt build --full-refresh -s "
        ~ (unrecorded | map(attribute='name') | join(' ')) ~ "). See docs/engines-and-keys.md, Key rotation.") -%}
  {%- endif -%}
  {{ return('') }}
{%- endmacro %}
