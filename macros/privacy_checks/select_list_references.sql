{#- What a model's raw SQL (Jinja included) puts in its select lists, as far as
    names can tell without parsing:
      {'items': [{'refs': [column names], 'alias': name or none}, ...], 'star': bool}
    One item per select-list entry, in textual order (CTEs before the final
    select). Not counted as references: names in comments and string literals,
    names in FROM/JOIN/ON/WHERE/GROUP BY/HAVING/ORDER BY, inside count(...),
    OVER (...), FILTER (...) and WITHIN GROUP (...), in a star's EXCLUDE list, function names, and the arguments of pii_guard's
    protecting macros. Identifiers are matched whole and lower-cased, so
    email_hash is not email. Used by the no_pii_in_safe_models test. -#}
{% macro select_list_references(raw_sql) -%}
  {%- set re = modules.re -%}
  {%- set sql = re.sub('(?s)\{#.*?#\}', ' ', raw_sql) -%}
  {#- A protecting macro's whole call disappears: its output is not PII. -#}
  {%- set sql = re.sub('(?s)\{\{-?\s*pii_guard\s*\.\s*(' ~ pii_guard.protecting_macros() | join('|') ~ ')\s*\(.*?\)\s*-?\}\}', ' __protected__ ', sql) -%}
  {%- set sql = re.sub('(?s)\{\{-?\s*(ref|source)\s*\(.*?\)\s*-?\}\}', ' __relation__ ', sql) -%}
  {%- set sql = re.sub('(?s)\{\{-?\s*config\s*\(.*?\)\s*-?\}\}', ' ', sql) -%}
  {#- Any other expression may pass its string arguments through as SQL
      (dbt.concat(['email', ...])): keep the strings' contents as names. -#}
  {%- set ns = namespace(sql='', last=0) -%}
  {%- for match in re.finditer('(?s)\{\{.*?\}\}', sql) -%}
    {%- set ns.sql = ns.sql ~ sql[ns.last:match.start()] ~ ' ' ~ re.findall("'([^']*)'|\"([^\"]*)\"", match.group(0)) | map('join', ' ') | join(' ') ~ ' ' -%}
    {%- set ns.last = match.end() -%}
  {%- endfor -%}
  {%- set sql = ns.sql ~ sql[ns.last:] -%}
  {%- set sql = re.sub('(?s)\{%.*?%\}', ' ', sql) -%}
  {#- Strings and comments out, quoted identifiers unquoted, in one pass so a
      quote inside a comment (or -- inside a string) is read correctly. -#}
  {%- set sql = re.sub("(?s)'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", ' ', sql) -%}
  {%- set sql = re.sub('"([^"]*)"|`([^`]*)`', ' \\1\\2 ', sql) | lower -%}

  {%- set clause_words = ['from', 'where', 'join', 'on', 'using', 'group', 'having', 'qualify',
                          'order', 'limit', 'window', 'union', 'intersect', 'except', 'offset'] -%}
  {#- What follows these words in parentheses does not reach the output: counts,
      a star's EXCLUDE list, window specs, FILTER and WITHIN GROUP clauses. -#}
  {%- set ignored_arguments = ['count', 'approx_count_distinct', 'exclude', 'over', 'filter', 'group'] -%}
  {%- set top = {'clause': 'none', 'query': true, 'item': none, 'ignore': false} -%}
  {%- set state = namespace(stack=[top], items=[], star=false, prev='', alias_next=false) -%}
  {%- for token in re.findall('[a-z_][a-z0-9_$]*|[(),.*]', sql) -%}
    {%- set frame = state.stack[-1] -%}
    {%- if token == '(' -%}
      {%- do state.stack.append({'clause': frame.clause, 'query': false, 'item': frame.item,
            'ignore': frame.ignore or state.prev in ignored_arguments}) -%}
    {%- elif token == ')' -%}
      {%- if state.stack | length > 1 -%}{%- do state.stack.pop() -%}{%- endif -%}
    {%- elif token == 'select' -%}
      {%- do frame.update({'clause': 'select', 'query': true, 'item': state.items | length}) -%}
      {%- do state.items.append({'refs': [], 'alias': none}) -%}
    {%- elif not frame.query and token in clause_words -%}
      {#- extract(year from d), trim(both ' ' from x): still inside the item. -#}
    {%- elif token in clause_words -%}
      {%- do frame.update({'clause': 'other'}) -%}
    {%- elif frame.clause == 'select' and token == ',' and frame.query -%}
      {%- do frame.update({'item': state.items | length}) -%}
      {%- do state.items.append({'refs': [], 'alias': none}) -%}
    {%- elif frame.clause == 'select' and token == '*' and state.prev in ['select', ',', '.', 'distinct', 'all'] -%}
      {%- set state.star = true -%}
    {%- elif frame.clause == 'select' and token == 'as' and frame.query -%}
      {#- the next name is the item's alias -#}
    {%- elif frame.clause == 'select' and state.alias_next and token not in ['(', ')', ',', '.', '*'] -%}
      {%- do state.items[frame.item].update({'alias': token}) -%}
    {%- elif frame.clause == 'select' and not frame.ignore and frame.item is not none
          and token not in ['(', ')', ',', '.', '*'] and loop.nextitem != '(' -%}
      {%- do state.items[frame.item].refs.append(token) -%}
    {%- endif -%}
    {%- set state.alias_next = token == 'as' and frame.clause == 'select' and frame.query -%}
    {%- set state.prev = token -%}
  {%- endfor -%}
  {{ return({'items': state.items, 'star': state.star}) }}
{%- endmacro %}
