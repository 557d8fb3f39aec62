{#- Marks findings accepted by the var pii_guard_allow, never drops them:

      vars:
        pii_guard_allow:
          - model: orders_export          # model name or unique_id
            column: customer_email        # omit to accept every finding on the model
            reason: "DPA-2024-17: processor contract covers email"

    Every entry needs a reason. Findings: status 'violation' or 'accepted'
    (note: the entry's reason); an entry that matches nothing is returned as
    status 'unused allowance' so stale exceptions are seen and removed. An
    entry with `unresolved: true` accepts a model `pii-guard check` cannot
    analyse; this test has no such finding and leaves those entries alone. -#}
{% macro apply_pii_allowances(findings) -%}
  {%- set allowances = var('pii_guard_allow', []) -%}
  {%- if allowances is string or allowances is mapping or allowances is not iterable -%}
    {{ exceptions.raise_compiler_error("pii_guard: the var pii_guard_allow must be a list of {model, column, reason} entries; got " ~ allowances ~ ".") }}
  {%- endif -%}
  {%- for entry in allowances -%}
    {%- if entry is not mapping or not entry.get('model') or not (entry.get('reason') or '') | trim -%}
      {{ exceptions.raise_compiler_error("pii_guard: every pii_guard_allow entry needs a model and a reason (why this finding is accepted); got " ~ entry ~ ".") }}
    {%- endif -%}
  {%- endfor -%}
  {%- set used = [] -%}
  {%- set result = [] -%}
  {%- for finding in findings -%}
    {%- set status = namespace(value='violation', note=none) -%}
    {%- for entry in allowances -%}
      {%- if entry.get('unresolved') is not sameas true and entry.model in [finding.model, finding.model.split('.')[-1]]
            and (entry.get('column') is none or (entry.column | lower) == (finding.column_name or '') | lower) -%}
        {%- set status.value = 'accepted' -%}
        {%- set status.note = entry.reason -%}
        {%- do used.append(loop.index0) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- do result.append(dict(finding, status=status.value, note=status.note)) -%}
  {%- endfor -%}
  {%- for entry in allowances -%}
    {%- if loop.index0 not in used and entry.get('unresolved') is not sameas true -%}
    {%- do result.append({'model': entry.model, 'column_name': entry.get('column'), 'pii_source': none, 'pii_column': none,
          'reason': 'this pii_guard_allow entry matches no finding: remove it', 'status': 'unused allowance', 'note': entry.reason}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(result) }}
{%- endmacro %}
