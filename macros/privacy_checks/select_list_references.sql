{#- What a model's raw SQL (Jinja included) puts in its select lists, as far as
    names can tell without parsing. Returns a list of events in textual order:

      {'kind': 'item', 'scope': cte, 'refs': [names], 'alias': name or none}
      {'kind': 'star', 'scope': cte, 'from': 'relation' | <cte name> | 'unknown'}

    scope is the CTE the select list belongs to ('' for the final query and
    its subqueries). Only the names in `names` are reported as refs (pass the
    upstream PII columns; aliases are tracked whatever their name).

    Not counted as references: names in comments and string literals, names in
    FROM/JOIN/ON/WHERE/GROUP BY/HAVING/ORDER BY, inside count(...), OVER (...),
    FILTER (...) and WITHIN GROUP (...), in a star's EXCLUDE list, function
    names, and the arguments of pii_guard's protecting macros. Identifiers are
    matched whole and lower-cased, so email_hash is not email. Used by the
    no_pii_in_safe_models test. -#}
{% macro select_list_references(raw_sql, names) -%}
  {%- set re = modules.re -%}
  {%- set sql = re.sub('(?s)\\{#.*?#\\}', ' ', raw_sql) -%}
  {#- A protecting macro's whole call disappears: its output is not PII. -#}
  {%- set sql = re.sub('(?s)\\{\\{-?\\s*pii_guard\\s*\\.\\s*(?:' ~ pii_guard.protecting_macros() | join('|') ~ ')\\s*\\(.*?\\)\\s*-?\\}\\}', ' ', sql) -%}
  {%- set sql = re.sub('(?s)\\{\\{-?\\s*(?:ref|source)\\s*\\(.*?\\)\\s*-?\\}\\}', ' __relation__ ', sql) -%}
  {%- set sql = re.sub('(?s)\\{\\{-?\\s*config\\s*\\(.*?\\)\\s*-?\\}\\}', ' ', sql) -%}
  {#- Any other expression may pass its string arguments through as SQL
      (dbt.concat(['email', ...])): keep the strings' contents as names. -#}
  {%- set pieces = namespace(sql='', last=0) -%}
  {%- for match in re.finditer('(?s)\\{\\{.*?\\}\\}', sql) -%}
    {%- set pieces.sql = pieces.sql ~ sql[pieces.last:match.start()] ~ ' ' ~ re.findall("'([^']*)'|\"([^\"]*)\"", match.group(0)) | map('join', ' ') | join(' ') ~ ' ' -%}
    {%- set pieces.last = match.end() -%}
  {%- endfor -%}
  {%- set sql = pieces.sql ~ sql[pieces.last:] -%}
  {%- set sql = re.sub('(?s)\\{%.*?%\\}', ' ', sql) -%}
  {#- Strings and comments out, in one pass so a quote inside a comment (or --
      inside a string) is read right; then quoted identifiers unquoted. -#}
  {%- set sql = re.sub("(?s)'(?:[^']|'')*'|--[^\n]*|/\\*.*?\\*/", ' ', sql) -%}
  {%- set sql = re.sub('"([^"]*)"|`([^`]*)`', ' \\1\\2 ', sql) | lower -%}

  {%- set clause_words = ['from', 'where', 'join', 'on', 'using', 'group', 'having', 'qualify',
                          'order', 'limit', 'window', 'union', 'intersect', 'except', 'offset'] -%}
  {#- What follows these words in parentheses does not reach the output. -#}
  {%- set ignored_arguments = ['count', 'approx_count_distinct', 'exclude', 'over', 'filter', 'group'] -%}
  {#- A star that selects columns (not a multiplication or count(*)) becomes a word. -#}
  {%- set sql = re.sub('(\\bselect|\\bdistinct|\\ball|,)\\s*\\*|\\.\\s*\\*', '\\1 __star__ ', sql) -%}
  {%- set cte_names = re.findall('([a-z_][a-z0-9_$]*)\\s+as\\s*\\(', sql) -%}
  {%- set aliases = re.findall('\\bas\\s+([a-z_][a-z0-9_$]*)', sql) -%}
  {#- Only the words that matter become tokens: keywords, the names asked
      about, CTE names, aliases and function calls; everything else is skipped
      by the regex rather than by the loop, which is where the time goes. -#}
  {%- set words = (clause_words + ['select', '__star__', '__relation__'] + cte_names + aliases + (names | list))
                  | unique | map('replace', '$', '\\$') | join('|') -%}
  {%- set tokenizer = '(?P<cte>[a-z_][a-z0-9_$]*)\\s+as\\s*\\(|\\bas\\s+(?P<alias>[a-z_][a-z0-9_$]*)'
                      ~ '|\\b(?P<ignored>' ~ ignored_arguments | join('|') ~ ')\\s*\\('
                      ~ '|\\b(?P<word>' ~ words ~ ')\\b|(?P<function>[a-z_][a-z0-9_$]*)\\s*\\(|(?P<punct>[(),])' -%}

  {#- The loop reads dicts by subscript, not attribute: in dbt's sandboxed
      Jinja an attribute read costs ten times more, and this loop runs once
      per token of every model. -#}
  {%- set stack = [{'clause': 'none', 'query': true, 'item': none, 'ignore': false, 'scope': '', 'star': none}] -%}
  {%- set events = [] -%}
  {%- set awaiting_from = [] -%}
  {%- for cte, alias, ignored, word, function, punct in re.findall(tokenizer, sql) -%}
    {%- set frame = stack[-1] -%}
    {%- if awaiting_from -%}
      {%- do awaiting_from.pop().update({'from': 'relation' if word == '__relation__' else (word if word in cte_names else 'unknown')}) -%}
    {%- endif -%}
    {%- if cte -%}
      {%- do stack.append({'clause': 'none', 'query': false, 'item': none, 'ignore': false, 'scope': cte, 'star': none}) -%}
    {%- elif alias -%}
      {%- if frame['clause'] == 'select' and frame['query'] and frame['item'] is not none -%}
        {%- do frame['item'].update({'alias': alias}) -%}
      {%- endif -%}
    {%- elif ignored or function or punct == '(' -%}
      {%- do stack.append({'clause': frame['clause'], 'query': false, 'item': frame['item'], 'scope': frame['scope'],
            'star': none, 'ignore': frame['ignore'] or ignored != ''}) -%}
    {%- elif punct == ')' -%}
      {%- if stack | length > 1 -%}{%- do stack.pop() -%}{%- endif -%}
    {%- elif word == 'select' -%}
      {%- set item = {'kind': 'item', 'scope': frame['scope'], 'refs': [], 'alias': none} -%}
      {%- do frame.update({'clause': 'select', 'query': true, 'item': item, 'star': none}) -%}
      {%- do events.append(item) -%}
    {%- elif word in clause_words and frame['query'] -%}
      {%- if word == 'from' and frame['star'] is not none -%}{%- do awaiting_from.append(frame['star']) -%}{%- endif -%}
      {%- do frame.update({'clause': 'other'}) -%}
    {%- elif frame['clause'] != 'select' or word in clause_words -%}
      {#- outside a select list, or extract(year from d) inside one -#}
    {%- elif punct == ',' -%}
      {%- if frame['query'] -%}
        {%- set item = {'kind': 'item', 'scope': frame['scope'], 'refs': [], 'alias': none} -%}
        {%- do frame.update({'item': item}) -%}
        {%- do events.append(item) -%}
      {%- endif -%}
    {%- elif word == '__star__' -%}
      {%- set star = {'kind': 'star', 'scope': frame['scope'], 'from': 'unknown'} -%}
      {%- do frame.update({'star': star}) -%}
      {%- do events.append(star) -%}
    {%- elif word and not frame['ignore'] and frame['item'] is not none -%}
      {%- do frame['item']['refs'].append(word) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(events) }}
{%- endmacro %}
