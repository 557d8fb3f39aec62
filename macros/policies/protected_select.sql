{#- The protected select list of a relation, from its yml declarations: every
    column of the relation, in order and under its own name, through the
    treatment its meta names (or its pii_type's default; see column_policy and
    policy_rules). Types are kept where the treatment can (nullify,
    pseudonymize_int, generalize_date, shift_date, keep); drop leaves the
    column out. Default deny: a column the relation has and the yml does not
    classify, a column the yml declares and the relation lacks, or a
    declaration that names no usable treatment stops compilation, all of them
    named in one error.

    The relation's lifecycle (meta pii_guard: consent and retention; docs/lifecycle.md,
    'The data subject's lifecycle') applies too: every PII column of a row
    whose subject has not consented, or which is past retention, is NULL.
    The model's FROM must then name the relation without an alias (the
    consent check refers to it by its name).

    The columns come from the warehouse when the relation exists, else from
    the yml (then a column's data_type, when declared, stands for its type).

    select {{ pii_guard.protected_select(source('crm', 'customers')) }}
    from {{ source('crm', 'customers') }} -#}
{% macro protected_select(relation) -%}
  {%- if relation is string or relation.identifier is not defined or relation.include is not defined -%}
    {{ pii_guard.argument_error('protected_select', "relation must be a relation such as source('crm', 'customers') or ref('stg_customers'); got " ~ relation ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('protected_select', 'pii_guard')(relation)) }}
{%- endmacro %}

{#- The same on every engine: the engines differ inside the treatments' macros. -#}
{% macro default__protected_select(relation) -%}
  {#- Parsing renders the model only to find its refs and sources. -#}
  {%- if not execute -%}{{ return('null as pii_guard_parse_placeholder') }}{%- endif -%}
  {%- set protected = pii_guard.protected_columns(relation, lifecycle=true) -%}
  {%- if protected.remove_unless is not none and 'pii_guard.retained(' not in ((model.get('raw_code') if model is defined and model is mapping else none) or '') | replace(' ', '') -%}
    {%- do protected.lifecycle_problems.append('meta pii_guard.retention.action is remove, but the model does not filter its rows: add where {{ pii_guard.retained(<the same relation>) }} (rows past retention would only have their PII nullified)') -%}
  {%- endif -%}
  {%- if protected.problems or protected.lifecycle_problems -%}
    {%- set messages = [] -%}
    {%- if protected.problems -%}{%- do messages.append(pii_guard.policy_problems_message(protected.problems)) -%}{%- endif -%}
    {%- if protected.lifecycle_problems -%}{%- do messages.append(pii_guard.lifecycle_problems_message(protected.lifecycle_problems)) -%}{%- endif -%}
    {{ exceptions.raise_compiler_error('pii_guard.protected_select(' ~ relation ~ '): ' ~ messages | join(' ')) }}
  {%- endif -%}
  {{ return(protected.select_list | join(',\n    ')) }}
{%- endmacro %}
