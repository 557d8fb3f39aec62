{#- Shifts a date by a keyed pseudo-random number of days in
    [-max_days, max_days], the same for every row of one subject: intervals
    between one subject's dates survive, calendar dates do not.

    shift = (first 32 bits of HMAC(key, 'pii_guard.shift_date:' || subject_key))
            mod (2 * max_days + 1) - max_days
    The prefix keeps the shift apart from hash_pii(subject_key): publishing a
    subject's pseudonym does not reveal their shift. Returns a DATE (a timestamp
    loses its time of day). NULL date or NULL subject_key gives NULL: a row is
    never passed through unshifted.

    {{ pii_guard.shift_date('visit_date', 'patient_id', max_days=180) }} -#}
{% macro shift_date(column, subject_key, max_days=365) -%}
  {%- if max_days is not number or max_days is sameas true or max_days is sameas false or max_days != max_days | int or max_days < 1 -%}
    {{ pii_guard.argument_error('shift_date', "max_days must be a whole number of days, at least 1; got " ~ max_days ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('shift_date', 'pii_guard')(column, subject_key, max_days)) }}
{%- endmacro %}

{% macro default__shift_date(column, subject_key, max_days) -%}
  {{ pii_guard.unsupported_adapter('shift_date') }}
{%- endmacro %}

{% macro postgres__shift_date(column, subject_key, max_days) -%}
  {{ pii_guard.duckdb__shift_date(column, subject_key, max_days) }}
{%- endmacro %}

{% macro spark__shift_date(column, subject_key, max_days) -%}
  {{ pii_guard.duckdb__shift_date(column, subject_key, max_days) }}
{%- endmacro %}

{% macro duckdb__shift_date(column, subject_key, max_days) -%}
  {%- set digest = pii_guard.keyed_hmac_hex("'pii_guard.shift_date:' || " ~ pii_guard.as_text(subject_key), 'shift_date') -%}
cast({{ column }} as date) + cast({{ pii_guard.hex8_to_bigint('left(' ~ digest ~ ', 8)') }} % {{ 2 * max_days + 1 }} - {{ max_days }} as integer)
{%- endmacro %}
