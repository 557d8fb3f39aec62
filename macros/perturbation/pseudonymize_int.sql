{#- Keyed, type-preserving integer pseudonym: a keyed permutation of
    [min_value, max_value]. Every value of the range maps to exactly one value
    of the range (no collisions, unlike hash % n), so ids stay integers and
    foreign keys pseudonymized with the same key and range still join.

    An 8-round Feistel network on k-bit states, k = max(2, bit_length(n - 1)),
    n = max - min + 1, halves of a = ceil(k/2) and b = k - a bits; round i's
    PRF is the first 32 bits of HMAC(key, 'pii_guard.pseudonymize_int.v1:' ||
    min || ':' || max || ':' || i || ':' || R). Cycle walking applies the
    network again while the result is >= n, at most 128 times in all (then it
    raises; the odds are below 2^-128). Output = min + result, a bigint.
    NULL gives NULL; a value outside [min, max] raises (never passed through or
    NULLed); min == max returns the value.

    min_value and max_value are integers fixed at compile time, with
    max - min < 2^63 (every intermediate then fits a bigint on every engine).

    {{ pii_guard.pseudonymize_int('customer_id', min_value=1, max_value=99999999) }} -#}
{% macro pseudonymize_int(column, min_value=0, max_value=2147483647) -%}
  {{ pii_guard.require_expression('pseudonymize_int', 'column', column) }}
  {%- for name, value in [('min_value', min_value), ('max_value', max_value)] -%}
    {%- if value is not integer or value < -9223372036854775808 or value > 9223372036854775807 -%}
      {{ pii_guard.argument_error('pseudonymize_int', name ~ " must be an integer within signed 64 bits (-9223372036854775808 to 9223372036854775807), not a string, float or boolean; got " ~ value ~ ".") }}
    {%- endif -%}
  {%- endfor -%}
  {%- if min_value > max_value -%}
    {{ pii_guard.argument_error('pseudonymize_int', "min_value (" ~ min_value ~ ") must be at most max_value (" ~ max_value ~ ").") }}
  {%- endif -%}
  {%- if max_value - min_value > 9223372036854775807 -%}
    {{ pii_guard.argument_error('pseudonymize_int', "the range [" ~ min_value ~ ", " ~ max_value ~ "] holds more than 2^63 values; max_value - min_value must be at most 9223372036854775807 so that every step fits a bigint on every engine. Narrow the range to the values the column can hold.") }}
  {%- endif -%}
  {{ return(adapter.dispatch('pseudonymize_int', 'pii_guard')(column, min_value, max_value)) }}
{%- endmacro %}

{% macro default__pseudonymize_int(column, min_value, max_value) -%}
  {{ pii_guard.unsupported_adapter('pseudonymize_int') }}
{%- endmacro %}

{#- The plugin's Python function runs the whole network: no round value ever
    reaches DuckDB. -#}
{% macro duckdb__pseudonymize_int(column, min_value, max_value) -%}
  {{ pii_guard.refuse_key_in_vars('pseudonymize_int') }}
  {{- pii_guard.require_plugin_function('pii_guard_pseudonymize_int', 'pii_guard_pseudonymize_int function', 'pseudonymize_int') -}}
pii_guard_pseudonymize_int(cast({{ column }} as bigint), cast({{ min_value }} as bigint), cast({{ max_value }} as bigint))
{%- endmacro %}

{#- The keyring's SECURITY DEFINER function (pii-guard postgres-keyring) runs
    the network with the key dbt's role cannot read. -#}
{% macro postgres__pseudonymize_int(column, min_value, max_value) -%}
  {{ pii_guard.refuse_key_in_vars('pseudonymize_int') }}
  {{- pii_guard.require_keyring_function('pseudonymize_int(bigint,bigint,bigint)', 'pseudonymize_int') -}}
{{ pii_guard.keyring_schema() }}.pseudonymize_int(cast({{ column }} as bigint), cast({{ min_value }} as bigint), cast({{ max_value }} as bigint))
{%- endmacro %}

{#- Spark has no UDFs here: the walk and the rounds are aggregate() over
    sequence(), the PRF Spark's keyed HMAC (keyed_hmac_hex: the key from the
    driver's environment). Even rounds split the state into a high bits (L)
    over b low bits (R), odd rounds b over a; each round's width is chosen by
    the round number's parity. A finished walk passes its value on unchanged. -#}
{% macro spark__pseudonymize_int(column, min_value, max_value) -%}
  {%- set value = "cast(" ~ column ~ " as bigint)" -%}
  {%- set range_error = "cast(raise_error('pii_guard.pseudonymize_int: a value is outside the declared range [" ~ min_value ~ ", " ~ max_value ~ "]. Widen min_value/max_value to cover every value of the column, or filter such rows out first.') as bigint)" -%}
  {%- set span = max_value - min_value -%}
  {%- if span == 0 -%}
case when {{ value }} is null then cast(null as bigint) when {{ value }} <> cast({{ min_value }} as bigint) then {{ range_error }} else cast({{ min_value }} as bigint) end
  {%- else -%}
  {%- set k = [2, span.bit_length()] | max -%}
  {%- set a = (k + 1) // 2 -%}
  {%- set b = k - a -%}
  {%- set low_bits = "if(pii_guard_i % 2 = 0, " ~ b ~ ", " ~ a ~ ")" -%}
  {%- set high_bits = "if(pii_guard_i % 2 = 0, " ~ a ~ ", " ~ b ~ ")" -%}
  {%- set right = "(pii_guard_s & (shiftleft(cast(1 as bigint), " ~ low_bits ~ ") - 1))" -%}
  {%- set message = "'pii_guard.pseudonymize_int.v1:" ~ min_value ~ ":" ~ max_value ~ ":' || cast(pii_guard_i as string) || ':' || cast(" ~ right ~ " as string)" -%}
  {%- set prf = pii_guard.hex8_to_bigint('left(' ~ pii_guard.keyed_hmac_hex(message, 'pseudonymize_int') ~ ', 8)') -%}
case when {{ value }} is null then cast(null as bigint)
  when {{ value }} < cast({{ min_value }} as bigint) or {{ value }} > cast({{ max_value }} as bigint) then {{ range_error }}
  else cast({{ min_value }} as bigint) + aggregate(sequence(0, 127), {{ value }} - cast({{ min_value }} as bigint),
    (pii_guard_y, pii_guard_j) -> case when pii_guard_j > 0 and pii_guard_y <= {{ span }} then pii_guard_y
      else aggregate(sequence(0, 7), pii_guard_y, (pii_guard_s, pii_guard_i) ->
        shiftleft({{ right }}, {{ high_bits }})
        | (shiftright(pii_guard_s, {{ low_bits }}) ^ ({{ prf }} & (shiftleft(cast(1 as bigint), {{ high_bits }}) - 1))))
      end,
    pii_guard_y -> case when pii_guard_y <= {{ span }} then pii_guard_y
      else cast(raise_error('pii_guard.pseudonymize_int: the cycle walk over [{{ min_value }}, {{ max_value }}] did not return into the range within 128 Feistel applications (odds below 2^-128). Report this.') as bigint) end)
end
  {%- endif -%}
{%- endmacro %}
