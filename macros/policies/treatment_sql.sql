{#- The SQL of one column's treatment (policy from column_policy): an
    expression producing the protected value, or none when the treatment drops
    the column. column: the column's name in the relation; data_type: its type
    (none when unknown); names: every column name of the relation, lower-cased
    (shift_date's subject must be one of them). Problems are returned, not
    raised, so protected_select can report every column at once:
    {'sql': text or none, 'problem': message or none}. -#}
{% macro treatment_sql(policy, column, data_type, names) -%}
  {%- set quoted = pii_guard.column_identifier(column) -%}
  {%- set treatment = policy.treatment -%}
  {%- set args = policy.args -%}
  {%- set integer = data_type is not none and pii_guard.is_integer_type(data_type) -%}
  {%- if treatment == 'pseudonymize' -%}
    {%- if data_type is none -%}
      {{ return({'sql': none, 'problem': "has treatment pseudonymize, which chooses by type, and its type is unknown (the relation is not built): declare data_type in yml, or name pseudonymize_int or hash"}) }}
    {%- endif -%}
    {%- set treatment = 'pseudonymize_int' if integer else 'hash' -%}
    {%- if not integer and args -%}
      {{ return({'sql': none, 'problem': 'has treatment_args for pseudonymize_int but is ' ~ data_type ~ ', not an integer: it would be hashed'}) }}
    {%- endif -%}
  {%- endif -%}
  {%- set cast_back = treatment in ['generalize_date', 'shift_date', 'pseudonymize_int'] and data_type is not none -%}
  {%- if treatment == 'keep' -%}{%- set sql = quoted -%}
  {%- elif treatment == 'drop' -%}{{ return({'sql': none, 'problem': none}) }}
  {%- elif treatment == 'nullify' -%}{%- set sql = pii_guard.redact(quoted) -%}
  {%- elif treatment == 'hash' -%}{%- set sql = pii_guard.hash_pii(quoted) -%}
  {%- elif treatment == 'hash_email' -%}{%- set sql = pii_guard.hash_pii(quoted, normalize='email') -%}
  {%- elif treatment == 'hash_phone' -%}{%- set sql = pii_guard.hash_pii(quoted, normalize='phone') -%}
  {%- elif treatment == 'surrogate_key' -%}{%- set sql = pii_guard.surrogate_key([quoted]) -%}
  {%- elif treatment == 'pseudonymize_int' -%}
    {%- if data_type is not none and not integer -%}
      {{ return({'sql': none, 'problem': 'has treatment pseudonymize_int but is ' ~ data_type ~ ', not an integer: choose hash or pseudonymize'}) }}
    {%- endif -%}
    {%- set sql = pii_guard.pseudonymize_int(quoted, **args) -%}
  {%- elif treatment == 'shift_date' -%}
    {%- set subject = args.get('subject') -%}
    {%- if subject is not string or subject | lower not in names -%}
      {{ return({'sql': none, 'problem': 'has treatment shift_date, whose treatment_args.subject must name a column of the relation (the person whose dates shift together); got ' ~ tojson(subject)}) }}
    {%- endif -%}
    {%- set sql = pii_guard.shift_date(quoted, pii_guard.column_identifier(subject), max_days=args.get('max_days', 365)) -%}
  {%- elif treatment == 'mask_email' -%}{%- set sql = pii_guard.mask_email(quoted) -%}
  {%- elif treatment == 'mask_phone' -%}{%- set sql = pii_guard.mask_phone(quoted, **args) -%}
  {%- elif treatment == 'age_bucket' -%}{%- set sql = pii_guard.age_bucket(quoted, **args) -%}
  {%- elif treatment == 'generalize_zip' -%}{%- set sql = pii_guard.generalize_zip(quoted, **args) -%}
  {%- elif treatment == 'generalize_date' -%}{%- set sql = pii_guard.generalize_date(quoted, **args) -%}
  {%- elif treatment == 'state_from_address' -%}{%- set sql = pii_guard.state_from_address(quoted) -%}
  {%- elif treatment == 'encrypt_pii' -%}{%- set sql = pii_guard.encrypt_pii(quoted) -%}
  {%- else -%}
    {#- policy_rules() names a treatment this macro does not know: a bug here, never a pass-through. -#}
    {{ exceptions.raise_compiler_error('pii_guard.treatment_sql: no SQL for treatment ' ~ treatment) }}
  {%- endif -%}
  {{ return({'sql': ('cast(' ~ sql ~ ' as ' ~ data_type ~ ')') if cast_back else sql | trim, 'problem': none}) }}
{%- endmacro %}

{#- A column name as SQL, always quoted: a name such as "Email" or "first
    name" keeps its spelling, and a column named user, current_user or
    current_date is read as the column, never as the function of that name
    (which would hash the session's user instead of the value). -#}
{% macro column_identifier(name) -%}
  {{ return(adapter.quote(name)) }}
{%- endmacro %}

{#- True for the integer types of DuckDB, PostgreSQL and Spark. -#}
{% macro is_integer_type(data_type) -%}
  {{ return(modules.re.match('^\\s*(u?(tiny|small|big|huge)?int(eger)?|int[1248]|u?hugeint|(small|big)?serial|long|short|byte)\\s*$', data_type | lower) is not none) }}
{%- endmacro %}
