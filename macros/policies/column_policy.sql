{#- How one declared column is to be protected, read from its yml:

      {'pii': true | false | none, 'pii_type': text or none,
       'treatment': a name from policy_rules().treatments or none,
       'args': {argument: value}, 'problem': message or none}

    meta (or config.meta; config wins) may name the column's treatment and
    its arguments (treatment_args); without one, a PII column takes the
    default of its pii_type: the project's var pii_guard_treatments first,
    then policy_rules().defaults. A column that is not PII and names no
    treatment is kept. Everything else is a problem (default deny): a column
    no declaration classifies, a pii value no rule reads, an unknown treatment
    or argument, PII whose pii_type has no default, PII kept without a
    treatment_reason. -#}
{% macro column_policy(column) -%}
  {%- set declared = pii_guard.pii_declaration(column) -%}
  {%- set meta = {} -%}
  {%- do meta.update(column.get('meta') or {}) -%}
  {%- do meta.update((column.get('config') or {}).get('meta') or {}) -%}
  {%- set pii_type = meta.get('pii_type') -%}
  {%- set pii_type = (pii_type | trim | lower) if pii_type is string and pii_type | trim else none -%}
  {%- set policy = {'pii': declared.pii, 'pii_type': pii_type, 'treatment': none, 'args': {}, 'problem': none} -%}
  {%- if declared.problem -%}
    {%- do policy.update({'problem': 'pii ' ~ declared.problem}) -%}
    {{ return(policy) }}
  {%- elif declared.pii is none -%}
    {%- do policy.update({'problem': 'is not classified: declare meta pii true (with a pii_type or a treatment) or pii false'}) -%}
    {{ return(policy) }}
  {%- endif -%}

  {%- set rules = pii_guard.policy_rules() -%}
  {%- set chosen = {'treatment': meta.get('treatment'), 'treatment_args': meta.get('treatment_args'), 'from': 'meta treatment'} -%}
  {%- if chosen.treatment is none and declared.pii -%}
    {%- if pii_type is none -%}
      {%- do policy.update({'problem': 'is PII with neither a pii_type nor a treatment: name one in meta'}) -%}
      {{ return(policy) }}
    {%- endif -%}
    {%- set overrides = var('pii_guard_treatments', {}) -%}
    {%- if overrides is not mapping -%}
      {%- do policy.update({'problem': 'var pii_guard_treatments must map pii_type to a treatment; got ' ~ tojson(overrides)}) -%}
      {{ return(policy) }}
    {%- endif -%}
    {#- Entries match pii_type trimmed and in any case, like the declarations. -#}
    {%- set found = namespace(override=none) -%}
    {%- for type_name, value in overrides.items() if type_name is string and type_name | trim | lower == pii_type -%}
      {%- set found.override = value -%}
    {%- endfor -%}
    {%- set override = found.override -%}
    {%- if override is string -%}
      {%- do chosen.update({'treatment': override, 'treatment_args': none, 'from': 'var pii_guard_treatments'}) -%}
    {%- elif override is mapping -%}
      {%- do chosen.update({'treatment': override.get('treatment'), 'treatment_args': override.get('treatment_args'), 'from': 'var pii_guard_treatments'}) -%}
    {%- elif override is not none -%}
      {%- do policy.update({'problem': 'var pii_guard_treatments entry ' ~ pii_type ~ ' must be a treatment name or {treatment: ..., treatment_args: {...}}; got ' ~ tojson(override)}) -%}
      {{ return(policy) }}
    {%- elif pii_type in rules.defaults -%}
      {%- set default = rules.defaults[pii_type] -%}
      {%- do chosen.update({'treatment': default.treatment, 'treatment_args': default.get('treatment_args'), 'from': 'the default for pii_type ' ~ pii_type}) -%}
    {%- else -%}
      {%- do policy.update({'problem': 'has pii_type ' ~ pii_type ~ ', which has no default treatment: name one in meta treatment, or map it in var pii_guard_treatments'}) -%}
      {{ return(policy) }}
    {%- endif -%}
  {%- elif chosen.treatment is none -%}
    {%- do chosen.update({'treatment': 'keep'}) -%}
  {%- endif -%}

  {%- set treatment = chosen.treatment | trim | lower if chosen.treatment is string else chosen.treatment -%}
  {%- if treatment not in rules.treatments -%}
    {%- do policy.update({'problem': chosen.from ~ ' ' ~ tojson(chosen.treatment) ~ ' is not one of ' ~ rules.treatments.keys() | list | join(', ')}) -%}
    {{ return(policy) }}
  {%- endif -%}
  {%- set args = chosen.treatment_args if chosen.treatment_args is not none else {} -%}
  {%- if args is not mapping -%}
    {%- do policy.update({'problem': 'treatment_args must be a mapping of argument to value; got ' ~ tojson(args)}) -%}
    {{ return(policy) }}
  {%- endif -%}
  {%- set unknown = args.keys() | reject('in', rules.treatments[treatment].args) | list -%}
  {%- if unknown -%}
    {%- do policy.update({'problem': 'treatment ' ~ treatment ~ ' takes ' ~ ((rules.treatments[treatment].args | join(', ')) or 'no arguments') ~ '; got ' ~ unknown | join(', ')}) -%}
    {{ return(policy) }}
  {%- endif -%}
  {%- set reason = meta.get('treatment_reason') -%}
  {%- if treatment == 'keep' and declared.pii and not (reason is string and reason | trim) -%}
    {%- do policy.update({'problem': 'is PII kept as is without a reason: add meta treatment_reason (why this raw PII may pass), or choose a protecting treatment'}) -%}
    {{ return(policy) }}
  {%- endif -%}
  {%- do policy.update({'treatment': treatment, 'args': args}) -%}
  {{ return(policy) }}
{%- endmacro %}
