{#- A WHERE (or CASE) condition keeping the rows whose data subject is not on
    the forget list (var pii_guard_forget_list), for models that do not use
    protected_select, which applies it by itself:

      -- depends_on: {{ ref('forget_list') }}
      select {{ pii_guard.hash_pii('email') }} as email_hash
      from {{ ref('people') }}
      where {{ pii_guard.not_forgotten(ref('people')) }}

    The relation's yml names its subject column (meta pii_guard.subject). -#}
{% macro not_forgotten(relation) -%}
  {%- if not execute -%}{{ return('1 = 1') }}{%- endif -%}
  {%- set forget = pii_guard.forget_list() -%}
  {%- if forget is none -%}
    {{ exceptions.raise_compiler_error('pii_guard.not_forgotten(' ~ relation ~ "): no forget list is declared: set the var pii_guard_forget_list. See docs/lifecycle.md, 'Erasure'.") }}
  {%- endif -%}
  {%- set lifecycle = pii_guard.lifecycle_declaration('not_forgotten', relation) -%}
  {%- if lifecycle.subject is none -%}
    {{ exceptions.raise_compiler_error('pii_guard.not_forgotten(' ~ relation ~ "): the relation declares no subject: add meta pii_guard.subject (the column identifying the data subject) to its yml. See docs/lifecycle.md, 'Erasure'.") }}
  {%- endif -%}
  {{ return(pii_guard.forget_list_sql(forget, lifecycle.subject, pii_guard.lifecycle_outer_name(relation))) }}
{%- endmacro %}
