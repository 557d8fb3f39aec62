{#- The models and snapshots whose rows depend on the key, as {unique_id: true}:
    those that call a keyed macro (hash_pii, surrogate_key, shift_date, pseudonymize_int,
    key_fingerprint, keyed_hmac_hex, and protected_select, whose treatments
    call them where dbt does not record it), and everything built from one of them
    through any materialization: an incremental model reading a keyed view
    computes with the current key when it runs, and one reading a keyed table
    gets that table's rebuild under the current key.

    dbt records only the macros a node calls directly, so a model that calls
    pii_guard through a macro of its own project is not seen: declare it with
    meta pii_guard_keyed: true. A model downstream of keyed models that keeps no
    pseudonym (an aggregate, say) may declare pii_guard_keyed: false; it then
    passes nothing on to its own children. -#}
{% macro key_dependent_nodes() -%}
  {%- set keyed_macros = ['macro.pii_guard.hash_pii', 'macro.pii_guard.surrogate_key', 'macro.pii_guard.shift_date', 'macro.pii_guard.pseudonymize_int', 'macro.pii_guard.protected_select',
                          'macro.pii_guard.key_fingerprint', 'macro.pii_guard.keyed_hmac_hex'] -%}
  {%- set children = {} -%}
  {%- set declared = {} -%}
  {%- set keyed = {} -%}
  {%- set queue = [] -%}
  {%- for node in graph.nodes.values() if node.resource_type in ['model', 'snapshot'] -%}
    {%- set setting = (node.config.get('meta') or {}).get('pii_guard_keyed', (node.get('meta') or {}).get('pii_guard_keyed')) -%}
    {%- if setting is not none -%}
      {%- do declared.update({node.unique_id: setting in [true, 'true', 'True']}) -%}
    {%- endif -%}
    {%- for parent in node.depends_on.nodes -%}
      {%- do children.setdefault(parent, []).append(node.unique_id) -%}
    {%- endfor -%}
    {%- if declared.get(node.unique_id, (node.depends_on.macros | select('in', keyed_macros) | list | length) > 0) -%}
      {%- do keyed.update({node.unique_id: true}) -%}
      {%- do queue.append(node.unique_id) -%}
    {%- endif -%}
  {%- endfor -%}
  {#- Breadth-first down the DAG; the loop also visits what it appends. -#}
  {%- for unique_id in queue -%}
    {%- for child in children.get(unique_id, []) if child not in keyed and declared.get(child, true) -%}
      {%- do keyed.update({child: true}) -%}
      {%- do queue.append(child) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(keyed) }}
{%- endmacro %}
