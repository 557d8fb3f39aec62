{#- Shifts a date by a keyed pseudo-random number of days in
    [-max_days, max_days], the same for every row of one subject: intervals
    between one subject's dates survive, calendar dates do not.

    shift = (first 32 bits of HMAC(key, 'pii_guard.shift_date:' || subject_key))
            mod (2 * max_days + 1) - max_days
    The prefix keeps the shift apart from hash_pii(subject_key): publishing a
    subject's pseudonym does not reveal their shift. Returns a DATE (a timestamp
    loses its time of day). NULL date or NULL subject_key gives NULL: a row is
    never passed through unshifted.

    max_days is a whole number from 1 to 3650 (ten years): a shift stays far
    from the ends of every engine's date range (Spark's ends at 9999-12-31),
    and the modulus (at most 7301) leaves the 32-bit draw's bias under 2e-6.

    {{ pii_guard.shift_date('visit_date', 'patient_id', max_days=180) }} -#}
{% macro shift_date(column, subject_key, max_days=365) -%}
  {{ pii_guard.require_expression('shift_date', 'column', column) }}
  {{ pii_guard.require_expression('shift_date', 'subject_key', subject_key) }}
  {%- if max_days is not number or max_days is sameas true or max_days is sameas false or max_days != max_days | int or max_days < 1 or max_days > 3650 -%}
    {{ pii_guard.argument_error('shift_date', "max_days must be a whole number of days from 1 to 3650 (ten years); got " ~ max_days ~ ".") }}
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
